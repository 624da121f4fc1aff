"""Emulated accounts and region shared by the sandbox tests."""

REGION = "eu-west-1"
GOV = "111111111111"
DEV = "222222222222"
PROD = "444444444444"
