"""moto's UpdateModelPackage overwrites fields it was not given (approval status, description, CustomerMetadataProperties); AWS keeps them."""

from __future__ import annotations

from typing import Any

from ._common import wrap
from .sagemaker_cross_account import owner_backend


def apply() -> None:
    from moto.sagemaker.models import SageMakerModelBackend as B

    @wrap(B, "update_model_package")
    def update_model_package(
        orig: Any,
        self: Any,
        model_package_arn: str,
        model_approval_status: str | None = None,
        approval_description: str | None = None,
        customer_metadata_properties: dict[str, str] | None = None,
        customer_metadata_properties_to_remove: list[str] | None = None,
        additional_inference_specifications_to_add: list[Any] | None = None,
    ) -> Any:
        owner = owner_backend(self, model_package_arn)
        pkg = owner.model_packages.get(owner.model_package_name_mapping.get(model_package_arn, model_package_arn))
        if pkg is not None:
            merged = dict(pkg.customer_metadata_properties or {})
            merged.update(customer_metadata_properties or {})
            for key in customer_metadata_properties_to_remove or []:
                merged.pop(key, None)
            customer_metadata_properties = merged or None
            if model_approval_status is None:
                model_approval_status = pkg.model_approval_status
            if approval_description is None:
                approval_description = pkg.approval_description
        return orig(
            self,
            model_package_arn,
            model_approval_status=model_approval_status,
            approval_description=approval_description,
            customer_metadata_properties=customer_metadata_properties,
            customer_metadata_properties_to_remove=[],
            additional_inference_specifications_to_add=additional_inference_specifications_to_add,
        )
