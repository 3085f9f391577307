"""The release console's web side: pages, forms and requests. Reads the database; never calls AWS."""
