// ConvexHulls module
