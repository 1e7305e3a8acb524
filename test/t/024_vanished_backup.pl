# A backup the catalog knows as completed that the repository no longer holds
# is missing, not expired: verify reports a missing_backup problem, health
# says backup_missing, a notification goes out. Only retention marks backups
# expired, including `pg_safekeep expire` run from the shell.
use strict;
use warnings;

use File::Copy;
use NotifyTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $r = NotifyTest->new();
my $hookfile = PostgreSQL::Test::Utils::tempdir('hook') . '/url';
open(my $fh, '>', $hookfile) or die;
print $fh "http://127.0.0.1:$r->{http_port}/hook\n";
close $fh;

my ($node, $repo) = safekeep_node(
	'vanished', conf => qq{
safekeep.notify_webhook_url_file = '$hookfile'
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
});
my $f1 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
my $f2 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
my $f3 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
is($node->safe_psql('postgres', 'SELECT health_status FROM safekeep.check_backup_health()'),
	'healthy', 'healthy to start with');

# Move the newest backup's manifest away, as an operator cleaning up by hand might.
my ($f3_dir) = backup_dirs($repo, $f3);
move("$f3_dir/manifest.json", "$f3_dir/../manifest.json.moved") or die "move: $!";
$node->safe_psql('postgres', 'SELECT safekeep.sync_catalog()');
is($node->safe_psql('postgres', "SELECT status FROM safekeep.backup_catalog WHERE label = '$f3'"),
	'missing', 'sync_catalog marks the vanished backup missing, not expired');
my $rows = $node->safe_psql('postgres',
	"SELECT label || ' ' || problem || ' ' || object FROM safekeep.verify_backup()");
like($rows, qr/^\Q$f3\E missing_backup backup\/\Q$f3\E\/manifest\.json$/m,
	'verify_backup() reports a missing_backup problem');
like($node->safe_psql('postgres', "SELECT problem FROM safekeep.verify_backup('$f3')"),
	qr/^missing_backup$/, 'verify_backup(label) of the missing backup returns the row, no error');
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.verify_backup('$f2')"), '0',
	'the other backups verify clean');
is($node->safe_psql('postgres', 'SELECT health_status FROM safekeep.check_backup_health()'),
	'backup_missing', 'health says backup_missing');
is($node->safe_psql('postgres',
		q{SELECT details->'missing_backups'->>0 FROM safekeep.check_backup_health()}),
	$f3, 'and names the backup');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM safekeep.notification_log WHERE event = 'backup_missing'}),
	'1', 'one backup_missing notification is queued');
ok(wait_for(sub { grep { /backup missing from the repository/ && /\Q$f3\E/ } $r->hook_lines }, 120),
	'and delivered to the webhook, naming the backup');

# Putting it back makes it completed again.
move("$f3_dir/../manifest.json.moved", "$f3_dir/manifest.json") or die "move back: $!";
$node->safe_psql('postgres', 'SELECT safekeep.sync_catalog()');
is($node->safe_psql('postgres', "SELECT status FROM safekeep.backup_catalog WHERE label = '$f3'"),
	'completed', 'a backup that comes back is completed again');
is($node->safe_psql('postgres', 'SELECT health_status FROM safekeep.check_backup_health()'),
	'healthy', 'and health is back to healthy');

# Retention from the shell: the catalog learns it at the next sync, as expired.
my ($rc, $out, $err) = run_tool('expire', "--repo1-path=$repo", "--stanza=$stanza",
	'--retention-full=1', '--retention-days=0', '--retention-daily=0', '--retention-weekly=0',
	'--retention-monthly=0', '--retention-yearly=0');
is($rc, 0, 'pg_safekeep expire keeps only the newest full backup') or diag($err);
ok(!backup_dirs($repo, $f1) && !backup_dirs($repo, $f2), 'the two older backups are removed');
ok(-f "$repo/$stanza/expired/$f1" && -f "$repo/$stanza/expired/$f2",
	'each leaves an expired note in the repository');
$node->safe_psql('postgres', 'SELECT safekeep.sync_catalog()');
is($node->safe_psql('postgres',
		"SELECT string_agg(status, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE label IN ('$f1', '$f2', '$f3')"),
	'expired,expired,completed', 'sync_catalog marks what retention removed expired');
is($node->safe_psql('postgres', 'SELECT health_status FROM safekeep.check_backup_health()'),
	'healthy', 'expired backups are no alert');

$r->stop;
$node->stop;
done_testing();
