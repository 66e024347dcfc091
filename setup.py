"""Only for `scrapyd-deploy` (it builds the project egg with `python setup.py bdist_egg`); everything is in
pyproject.toml, including the `scrapy` entry point scrapyd reads the settings module from."""
from setuptools import setup

setup()
