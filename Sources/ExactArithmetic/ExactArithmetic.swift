// ExactArithmetic module
