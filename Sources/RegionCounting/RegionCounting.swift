// RegionCounting module
