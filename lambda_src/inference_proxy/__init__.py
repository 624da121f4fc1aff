"""Inference proxy Lambda: API Gateway REST (Lambda proxy integration) in front of a SageMaker endpoint."""
