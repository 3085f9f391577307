"""Moving a tracked CodeDeploy target to ECS's own blue/green, as the ECS developer guide's migration page lists the
prerequisites: read what is there (`survey`), say what stops it (`preconditions`), say exactly what a run would send
(`plan`), and run, roll back or finish it as resumable sub-actions (`phases`, `runner`)."""
