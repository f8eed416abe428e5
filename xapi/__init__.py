"""The xAPI package: statements, vocabulary, validation and the statement store."""
