"""What the pages, the API and the command line ask of a loaded RuleSet: the directory and the
orientation (which sites, how to reach them), the disease search, the territories, the Orphanet
nomenclature, the orientation links' codec, the scenarios runner and French typography."""
