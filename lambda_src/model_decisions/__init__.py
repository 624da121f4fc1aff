"""Decision function: approvals and rejections through the governed path, and the registration guard."""
