// BraidArrangements module
