"""The permissions boundary of every role an account stack creates.

A role's identity policy is what someone with IAM rights in the account can widen; the boundary is
the ceiling that stays when they do. Built last in each stack, from the roles above it: it Allows
the services those roles' policies use (nothing else), repeats the registry guard Denies, and denies
the IAM calls that would take the boundary off, change it, or create a principal without it.

The decision function is the one principal that may decide (modules/registry_guards.py): its role
gets a boundary of its own, the same but without the registry guard. Terraform's own role is not
created here and is not bounded (docs/security.md, residual risks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import DefaultTokenResolver, StringConcat, Tokenization
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.naming import decider_boundary_name, role_boundary_name
from mlgov_config.regions import Partition
from modules.policy import Statement, document
from modules.registry_guards import no_decisions

# Listed action by action even in the boundary: iam:* would let a role rewrite roles and policies.
EXACT_SERVICES = ("iam",)
BOUNDARY_CHANGES = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion")
BOUNDARY_REMOVAL = ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
                    "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary")
UNBOUNDED_PRINCIPALS = ("iam:CreateRole", "iam:CreateUser")


@dataclass(frozen=True)
class RoleBoundaryProps:
    prefix: str
    account_id: str
    partition: Partition
    # The decision function's role name, in the governance stack only: it gets the boundary without the guard.
    decider_role_name: str | None = None

    def policy_arn(self, name: str) -> str:
        return self.partition.iam_arn(self.account_id, f"policy/{name}")

    @property
    def name(self) -> str:
        return role_boundary_name(self.prefix)

    @property
    def decider_name(self) -> str:
        return decider_boundary_name(self.prefix)


def allowed_actions(policy: str) -> set[str]:
    return {action for st in json.loads(policy)["Statement"] if st["Effect"] == "Allow"
            for action in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}


class RoleBoundary(Construct):
    """Create it after every other component of the stack: it bounds the roles that exist then."""

    def __init__(self, scope: Construct, construct_id: str, props: RoleBoundaryProps) -> None:
        super().__init__(scope, construct_id)
        roles = [c for c in scope.node.find_all() if isinstance(c, IamRole)]
        policies = [c for c in scope.node.find_all() if isinstance(c, IamRolePolicy)]
        # The *_input getters return what the construct was given; the plain getters are references to it.
        actions_of = {id(r): set().union(*(allowed_actions(p.policy_input) for p in policies
                                           if self._resolve(p.role_input) == self._resolve(r.id))) for r in roles}
        deciders = [r for r in roles if r.name_input == props.decider_role_name]
        if props.decider_role_name and len(deciders) != 1:
            raise ValueError(f"RoleBoundaryProps.decider_role_name: no role named {props.decider_role_name!r} in the stack")
        bounded = [r for r in roles if r not in deciders]
        arns = [props.policy_arn(props.name)] + ([props.policy_arn(props.decider_name)] if deciders else [])
        self.policy = self._boundary("boundary", props.name, props, arns, bounded, actions_of, guarded=True)
        if deciders:
            self.decider_policy = self._boundary("decider-boundary", props.decider_name, props, arns, deciders,
                                                 actions_of, guarded=False)

    def _resolve(self, token: str) -> str:
        """A token as Terraform will read it, "${aws_iam_role.<name>.id}": comparable, unlike the token."""
        return Tokenization.resolve(token, scope=self, preparing=False, resolver=DefaultTokenResolver(StringConcat()))

    def _boundary(self, construct_id: str, name: str, props: RoleBoundaryProps, boundary_arns: list[str],
                  roles: list[IamRole], actions_of: dict[int, set[str]], guarded: bool) -> IamPolicy:
        used = set().union(*(actions_of[id(r)] for r in roles))
        services = sorted({a.split(":", 1)[0] for a in used} - set(EXACT_SERVICES))
        statements = [Statement(
            sid="UsedServices", actions=tuple(f"{s}:*" for s in services), resources=("*",),
            service_wildcard_reason="a boundary caps by service; each role's identity policy lists actions and resources",
            any_resource_reason="a boundary caps by service; each role's identity policy names the resources",
        )]
        exact = tuple(sorted(a for a in used if a.split(":", 1)[0] in EXACT_SERVICES))
        if exact:
            if set(exact) != {"iam:PassRole"}:  # IAM wants a resource type per action: decide each one here
                raise ValueError(f"RoleBoundary: IAM actions {exact} need their resources in the boundary")
            # This account's roles only; each role's identity policy names the roles it may pass.
            statements.append(Statement(sid="UsedIamActions", actions=exact, resources=(props.partition.iam_arn(props.account_id, "role/*"),)))
        principals = tuple(props.partition.iam_arn(props.account_id, kind) for kind in ("role/*", "user/*"))
        statements += [
            Statement(sid="DenyBoundaryRemoval", effect="Deny", actions=BOUNDARY_REMOVAL, resources=principals),
            Statement(sid="DenyBoundaryChanges", effect="Deny", actions=BOUNDARY_CHANGES, resources=tuple(boundary_arns)),
            # Absent when the request sets no boundary, so StringNotEquals denies that too.
            Statement(sid="DenyUnboundedPrincipals", effect="Deny", actions=UNBOUNDED_PRINCIPALS, resources=principals,
                      conditions={"StringNotEquals": {"iam:PermissionsBoundary": boundary_arns[0]}}),
        ]
        if guarded:
            statements += no_decisions(props.partition)
        policy = IamPolicy(self, construct_id, name=name, policy=document(statements),
                           description=f"Permissions boundary of the roles of {props.prefix} in {props.account_id}"
                                       + ("" if guarded else ": the decision function's, without the registry guard"))
        for role in roles:
            role.permissions_boundary = policy.arn
        return policy
