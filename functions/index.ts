// Entry point the Functions host loads (package.json "main"): importing a file runs its app.* registrations.
import './health';
