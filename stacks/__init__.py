"""One stack class per account role, each built from the validated config."""
