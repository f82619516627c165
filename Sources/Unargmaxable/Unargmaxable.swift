// Unargmaxable module
