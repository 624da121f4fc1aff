"""ram_sharing: share a model package group with an account, as the aws provider does it."""

from __future__ import annotations

import uuid

from sandbox_accounts import DEV, GOV


def test_share_model_package_group(aws):
    group_arn = aws("sagemaker", GOV).create_model_package_group(ModelPackageGroupName=f"g-{uuid.uuid4().hex[:8]}")[
        "ModelPackageGroupArn"
    ]
    ram = aws("ram", GOV)
    other = ram.create_resource_share(name="other", allowExternalPrincipals=False)["resourceShare"]["resourceShareArn"]
    share = ram.create_resource_share(name="registry", allowExternalPrincipals=False, tags=[{"key": "k", "value": "v"}])[
        "resourceShare"
    ]["resourceShareArn"]

    shares = ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[share])["resourceShares"]
    assert [(s["resourceShareArn"], s["status"], s["tags"]) for s in shares] == [(share, "ACTIVE", [{"key": "k", "value": "v"}])]
    assert ram.list_resource_share_permissions(resourceShareArn=share)["permissions"] == []

    res = ram.associate_resource_share(resourceShareArn=share, resourceArns=[group_arn])["resourceShareAssociations"]
    assert res[0]["associatedEntity"] == group_arn and res[0]["status"] == "ASSOCIATED"
    ram.associate_resource_share(resourceShareArn=share, principals=[DEV])
    assocs = ram.get_resource_share_associations(associationType="RESOURCE", resourceArn=group_arn, resourceShareArns=[share])
    assert [a["status"] for a in assocs["resourceShareAssociations"]] == ["ASSOCIATED"]
    assocs = ram.get_resource_share_associations(associationType="PRINCIPAL", principal=DEV, resourceShareArns=[share])
    assert [a["associatedEntity"] for a in assocs["resourceShareAssociations"]] == [DEV]
    perms = ram.list_resource_share_permissions(resourceShareArn=share)["permissions"]
    assert [p["resourceType"] for p in perms] == ["sagemaker:ModelPackageGroup"]
    # the principal account sees the share, and the group (sagemaker_shared_groups)
    shared = aws("sagemaker", DEV).list_model_package_groups(CrossAccountFilterOption="CrossAccount")
    assert group_arn in [g["ModelPackageGroupArn"] for g in shared["ModelPackageGroupSummaryList"]]
    incoming = aws("ram", DEV).get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert share in [s["resourceShareArn"] for s in incoming]

    ram.tag_resource(resourceShareArn=share, tags=[{"key": "k2", "value": "v2"}])
    ram.untag_resource(resourceShareArn=share, tagKeys=["k"])
    assert ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[share])["resourceShares"][0]["tags"] == [
        {"key": "k2", "value": "v2"}
    ]

    ram.disassociate_resource_share(resourceShareArn=share, resourceArns=[group_arn], principals=[DEV])
    for kind, key in (("RESOURCE", {"resourceArn": group_arn}), ("PRINCIPAL", {"principal": DEV})):
        left = ram.get_resource_share_associations(associationType=kind, resourceShareArns=[share], **key)
        assert left["resourceShareAssociations"] == []
    ram.delete_resource_share(resourceShareArn=share)
    ram.delete_resource_share(resourceShareArn=other)
    assert ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[share])["resourceShares"][0]["status"] == "DELETED"
