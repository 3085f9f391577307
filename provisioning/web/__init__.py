"""The wizard's web side: pages, forms and the requests that start steps. Reads the database; never calls AWS."""
