// Entry point the Functions host loads (package.json "main"): importing a file runs its app.* registrations.
import './health';
import './migrations';
import './migration-status';
import './migration-meetings';
import './migrate-user';
import './notifications';
import './notifications-lifecycle';
import './process-directory-changes';
import './renew-subscriptions';
import './sweep-stalled-migrations';
import './purge-expired-migrations';
import './settings-migration';
import './settings-dial-in';
import './user-dial-in';
import './bridges';
import './teams-upgrade';
import './user-homing';
