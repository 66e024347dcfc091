"""The Scrapy project: sites, discovery, fetching and politeness. It knows nothing about cleaning text."""
