"""The bot's packages, with the top-level ``locales/`` shipped as the package data bot/locales.

Metadata and dependencies are in ``pyproject.toml``; this file exists because ``pyproject.toml``
cannot both discover packages and map an extra folder into one (and a ``package-data`` table
there would replace the one here). The catalog
folders are listed as (data-only) packages so every template and message file goes in the wheel.
"""

from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup

HERE = Path(__file__).resolve().parent
LOCALES = [
    "bot.locales",
    *(f"bot.locales.{name}" for name in find_namespace_packages(str(HERE / "locales"))),
]

setup(
    packages=[*find_packages(str(HERE), include=["bot", "bot.*"]), *LOCALES],
    package_dir={"bot.locales": "locales"},
    package_data={
        "bot.data": ["*.toml"],
        **{name: ["*.toml", "*.html", "*.txt", "*.css"] for name in LOCALES},
    },
)
