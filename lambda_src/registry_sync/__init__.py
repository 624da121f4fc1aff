"""Registry-sync Lambda: SageMaker model package state changes into the governance table."""
