"""The release console's worker side: refreshes, tracking and sending actions. The only side that calls AWS."""
