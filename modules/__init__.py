"""CDKTF constructs: one per component, each with typed props whose defaults are the secure choice."""
