"""What the fake cloud offers out of the box: regions, instance types with prices, images."""

from __future__ import annotations

from typing import Any

REGIONS: dict[str, str] = {
    "us-east-1": "Virginia, USA",
    "us-west-1": "California, USA",
    "us-south-1": "Texas, USA",
    "us-east-3": "Washington DC, USA",
    "europe-central-1": "Germany",
    "asia-northeast-1": "Tokyo, Japan",
}

# name: (description, gpu, cents per hour, vcpus, memory GiB, storage GiB, gpus, architecture)
INSTANCE_TYPES: dict[str, tuple[str, str, int, int, int, int, int, str]] = {
    "gpu_1x_a10": ("1x A10 (24 GB PCIe)", "A10 (24 GB PCIe)", 75, 30, 200, 1400, 1, "x86_64"),
    "gpu_1x_a100_sxm4": (
        "1x A100 (40 GB SXM4)",
        "A100 (40 GB SXM4)",
        129,
        30,
        200,
        512,
        1,
        "x86_64",
    ),
    "gpu_1x_h100_pcie": (
        "1x H100 (80 GB PCIe)",
        "H100 (80 GB PCIe)",
        249,
        26,
        200,
        1024,
        1,
        "x86_64",
    ),
    "gpu_1x_gh200": ("1x GH200 (96 GB)", "GH200 (96 GB)", 149, 64, 432, 4096, 1, "arm64"),
    "gpu_8x_a100_80gb_sxm4": (
        "8x A100 (80 GB SXM4)",
        "A100 (80 GB SXM4)",
        1432,
        240,
        1800,
        19500,
        8,
        "x86_64",
    ),
    "gpu_8x_h100_sxm5": (
        "8x H100 (80 GB SXM5)",
        "H100 (80 GB SXM5)",
        2392,
        208,
        1800,
        24780,
        8,
        "x86_64",
    ),
}

# Machines free per (type, region) when a fake cloud starts; the 8x H100 is sold out.
CAPACITY: dict[tuple[str, str], int] = {
    ("gpu_1x_a10", "us-west-1"): 4,
    ("gpu_1x_a10", "us-east-1"): 4,
    ("gpu_1x_a100_sxm4", "us-east-1"): 2,
    ("gpu_1x_a100_sxm4", "europe-central-1"): 2,
    ("gpu_1x_h100_pcie", "us-south-1"): 2,
    ("gpu_1x_gh200", "us-east-3"): 2,
    ("gpu_8x_a100_80gb_sxm4", "asia-northeast-1"): 1,
}

# Where each type is sold: the pairs above, and the 8x H100 (sold out in the steady scenario).
OFFERED: tuple[tuple[str, str], ...] = (*CAPACITY, ("gpu_8x_h100_sxm5", "us-south-1"))

# family: (name, version, description); every family has an x86_64 image in every region,
# and an arm64 one in the regions that have arm64 machines.
ARM64_REGIONS = ("us-east-3",)
IMAGE_FAMILIES: dict[str, tuple[str, str, str]] = {
    "lambda-stack-24-04": ("lambda-stack-24.04", "24.04.2", "Lambda Stack 24.04"),
    "lambda-stack-22-04": ("lambda-stack-22.04", "22.04.5", "Lambda Stack 22.04"),
    "ubuntu-lts": ("ubuntu-24.04.01", "24.04.01", "Ubuntu LTS"),
}
DEFAULT_IMAGE_FAMILY = "lambda-stack-24-04"

USER: dict[str, Any] = {
    "id": "3da5a70a57a7422ea8a7203f98b2198b",
    "email": "you@example.com",
    "status": "active",
}
ACCOUNT_LRN = "lrn:lambda:iam::account/fake-account"
