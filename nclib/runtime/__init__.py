"""The runtime: compiled programs (`Program`), hard runs and their backends' entry (`call`),
worlds over uncertain arguments, libraries of programs (`Library`, its manifest) and libraries
built from a recipe's `library:` list. Imports torch only where a module needs it."""
