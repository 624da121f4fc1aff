"""Local AWS sandbox for mlgov: moto server plus small patches that close the gaps the stacks hit."""
