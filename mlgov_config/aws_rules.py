"""AWS's own rules for values the config names directly: bucket names, role and layer ARNs, e-mail
addresses. Each raises ValueError saying which rule a value breaks; the models use them as types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from mlgov_config.regions import SUPPORTED_PARTITIONS
from mlgov_config.strict_yaml import shown

PARTITION = "|".join(re.escape(p) for p in SUPPORTED_PARTITIONS)
ACCOUNT = r"[0-9]{12}"
# Region codes as Lambda's API spells them (botocore's pattern): eu-west-1, us-gov-west-1, us-isob-east-1.
REGION_CODE = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]"

# S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules").
BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name(name: str) -> str:
    if not 3 <= len(name) <= 63:
        raise ValueError(f"{len(name)} characters; an S3 bucket name has 3 to 63")
    if not BUCKET_CHARS.fullmatch(name):
        raise ValueError("not an S3 bucket name: lower-case letters, digits, '.' and '-', "
                         "starting and ending with a letter or digit")
    if ".." in name:
        raise ValueError("an S3 bucket name has no two adjacent periods")
    if IP_ADDRESS.fullmatch(name):
        raise ValueError("an S3 bucket name must not look like an IP address")
    for prefix in BUCKET_PREFIXES:
        if name.startswith(prefix):
            raise ValueError(f"S3 reserves bucket names starting with {prefix!r}")
    for suffix in BUCKET_SUFFIXES:
        if name.endswith(suffix):
            raise ValueError(f"S3 reserves bucket names ending with {suffix!r}")
    return name


# IAM: role names 1-64 of [\w+=,.@-] (ASCII), paths "/" or "/.../" of printable ASCII, at most 512.
ROLE_ARN = re.compile(rf"arn:(?:{PARTITION}):iam::{ACCOUNT}:role(?P<path>/(?:[!-~]*/)?)(?P<name>[^/]*)")
ROLE_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")


def role_arn(arn: str) -> str:
    """A role ARN as a trust policy names it (account roots, users and sessions are not trusted here)."""
    match = ROLE_ARN.fullmatch(arn)
    if match is None:
        raise ValueError(f"not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, partition one "
                         f"of {', '.join(SUPPORTED_PARTITIONS)}); account roots, users and assumed-role sessions are not accepted")
    path, name = match["path"], match["name"]
    if not ROLE_NAME.fullmatch(name):
        raise ValueError(f"the role name {shown(name)} must be 1 to 64 of letters, digits and _+=,.@-")
    if len(path) > 512:
        raise ValueError(f"the role path is {len(path)} characters; IAM allows 512")
    return arn


LAYER_ARN = re.compile(rf"arn:(?:{PARTITION}):lambda:(?P<region>{REGION_CODE}):{ACCOUNT}:layer:(?P<name>[^:]*):(?P<version>[^:]*)")
LAYER_NAME = re.compile(r"[a-zA-Z0-9_-]{1,140}")
POSITIVE = re.compile(r"[1-9][0-9]*")


def layer_arn(arn: str) -> str:
    """A Lambda layer version: arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION."""
    match = LAYER_ARN.fullmatch(arn)
    if match is None:
        raise ValueError("not a Lambda layer version ARN (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION)")
    if not LAYER_NAME.fullmatch(match["name"]):
        raise ValueError(f"the layer name {shown(match['name'])} must be 1 to 140 of letters, digits, '-' and '_'")
    if not POSITIVE.fullmatch(match["version"]):
        raise ValueError(f"the layer version {shown(match['version'])} must be a positive whole number")
    return arn


# E-mail: email-validator is not in requirements.lock, and these addresses only receive SNS alarm mail
# or name owners, so a strict ASCII pattern of RFC 5322's dot-atom form suffices: no quoted local parts,
# no IP-literal domains, no international addresses. Domain labels 1-63 letters, digits and inner
# hyphens; a top-level domain of letters (or punycode); no DNS lookup.
EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
TOP_LEVEL = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")


def email_address(address: str) -> str:
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if not at or not EMAIL_LOCAL.fullmatch(local) or len(local) > 64:
        raise ValueError("not an e-mail address (name@domain.tld: the part before '@' at most 64 "
                         "of letters, digits and !#$%&'*+/=?^_`{|}~- with single inner dots)")
    if len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(label) for label in labels) or not TOP_LEVEL.fullmatch(labels[-1]):
        raise ValueError(f"the domain {shown(domain)} is not a domain name (labels of letters, digits "
                         "and inner '-', separated by single dots, ending in a top-level domain)")
    if len(address) > 254:
        raise ValueError(f"{len(address)} characters; an e-mail address has at most 254")
    return address


def _optional_email(address: str) -> str:
    return address if address == "" else email_address(address)


BucketName = Annotated[str, AfterValidator(bucket_name)]
RoleArn = Annotated[str, AfterValidator(role_arn)]
LayerArn = Annotated[str, AfterValidator(layer_arn)]
EmailAddress = Annotated[str, AfterValidator(email_address)]
EmailOrNone = Annotated[str, AfterValidator(_optional_email)]  # "" means: no address
