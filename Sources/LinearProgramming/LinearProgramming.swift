// LinearProgramming module
