# Notification events besides a failed backup, each triggered for real and
# checked in the webhook body, the email and safekeep.notification_log:
# WAL archiving failing for longer than safekeep.notify_archive_failing_after
# (the archive directory made read-only), backup health turning unhealthy
# (archive_failing, then backup_old), a failed restore drill (a flipped byte
# in a backup) and retention removing a backup.  The SMTP server requires
# AUTH: safekeep.smtp_user and safekeep.smtp_password_file log in.  Every
# event sends exactly one webhook and one email.
use strict;
use warnings;

use File::Find;
use JSON::PP;
use NotifyTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $r = NotifyTest->new(smtp_user => 'safekeep', smtp_password => 's3cret pass');
my $pwfile = PostgreSQL::Test::Utils::tempdir('smtp') . '/password';
open(my $fh, '>', $pwfile) or die;
print $fh "s3cret pass\n";
close $fh;

my $url_file = webhook_url_file("http://127.0.0.1:$r->{http_port}/hook");
my ($node, $repo) = safekeep_node(
	'notify_events', conf => qq{
safekeep.notify_webhook_url_file = '$url_file'
safekeep.smtp_server = '127.0.0.1'
safekeep.smtp_port = $r->{smtp_port}
safekeep.smtp_user = 'safekeep'
safekeep.smtp_password_file = '$pwfile'
safekeep.smtp_from = 'pg_safekeep\@db.example'
safekeep.smtp_to = 'dba\@example.org'
safekeep.notify_archive_failing_after = 1
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
});

sub q1 { return $node->safe_psql('postgres', $_[0]) }

# Webhook texts and emails received since the marks ($nh, $nm).
sub hooks_since { my @l = $r->hook_lines; return map { decode_json($_)->{text} } @l[ $_[0] .. $#l ] }
sub mails_since
{
	my @f = $r->mail_files;
	return map { my $m = slurp_file($_); $m =~ s/\r\n/\n/g; $m } @f[ $_[0] .. $#f ];
}

# Waits for the messages of $event, gives the notifier one more pass (10 s)
# to send a duplicate, then checks: one webhook and one email whose text
# matches every pattern, one sent notification_log row per channel with
# that event name.
# Messages of other events that arrive meanwhile are left for their check.
sub check_event
{
	my ($event, $marks, $what, @patterns) = @_;
	my ($nh, $nm) = @$marks;
	my $mine = sub { my @h = grep { /\Q$what\E/ } hooks_since($nh); scalar @h };
	my $mine_mail = sub { my @m = grep { /\Q$what\E/ } mails_since($nm); scalar @m };
	ok(wait_for(sub { $mine->() >= 1 && $mine_mail->() >= 1 }, 90),
		"$event: webhook and email delivered");
	sleep 11;
	my @hooks = grep { /\Q$what\E/ } hooks_since($nh);
	my @mails = grep { /\Q$what\E/ } mails_since($nm);
	is(scalar @hooks, 1, "$event: exactly one webhook");
	is(scalar @mails, 1, "$event: exactly one email");
	for my $p (qr/^What: \Q$what\E/m, qr/cluster_name notify_events, system identifier \d+/,
		qr/What to do next:/, @patterns)
	{
		like($hooks[0] // '', $p, "$event: webhook matches $p");
		like($mails[0] // '', $p, "$event: email matches $p");
	}
	like($mails[0] // '', qr/^X-Auth-User: safekeep$/m, "$event: email sent after SMTP AUTH");
	is( q1(
			"SELECT string_agg(channel || ':' || status, ',' ORDER BY channel) FROM safekeep.notification_log WHERE event = '$event' AND strpos(subject, '$what') > 0"
		),
		'email:sent,webhook:sent',
		"$event: one sent notification_log row per channel");
	return;
}

sub marks { return [ scalar($r->hook_lines), scalar($r->mail_files) ] }

my $first = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
switch_and_wait($node);

# ---- archiving failing, and health turning archive_failing -------------------
my ($archive) = glob("$repo/*/archive");
ok(defined $archive && -d $archive, 'repository archive directory found');
my @archive_dirs;
find({ wanted => sub { push @archive_dirs, $_ if -d $_ }, no_chdir => 1 }, $archive);
chmod 0555, @archive_dirs or die "chmod: $!";

my $m = marks();
q1('SELECT txid_current()');
my $failing = q1('SELECT pg_walfile_name(pg_switch_wal())');
$node->poll_query_until('postgres',
	"SELECT last_failed_wal = '$failing' FROM pg_stat_archiver")
  or die 'archiving did not fail';
check_event('archive_failing', $m, 'WAL archiving failing for',
	qr/last failed WAL \Q$failing\E/, qr/point-in-time recovery stops at the last archived WAL/);
check_event('health_unhealthy', $m, 'backup health turned archive_failing',
	qr/"archive_failed_count": [1-9]/);

chmod 0755, @archive_dirs;
switch_and_wait($node);
$node->poll_query_until('postgres',
	"SELECT value = 'healthy' FROM safekeep.notification_state WHERE key = 'health'")
  or die 'health did not return to healthy';
is(q1("SELECT count(*) FROM safekeep.notification_state WHERE key = 'archive_failing'"),
	'0', 'archiving works again: the archive_failing state is cleared');

# ---- health turning backup_old -----------------------------------------------
$m = marks();
q1("ALTER SYSTEM SET safekeep.max_backup_age = 60; SELECT pg_reload_conf()");
$node->poll_query_until('postgres',
	"SELECT health_status = 'backup_old' FROM safekeep.check_backup_health()")
  or die 'health never turned backup_old';
check_event('health_unhealthy', $m, 'backup health turned backup_old',
	qr/"latest_backup": "\Q$first\E"/);
q1("ALTER SYSTEM RESET safekeep.max_backup_age; SELECT pg_reload_conf()");
is(q1("SELECT count(*) FROM safekeep.notification_log WHERE event = 'health_unhealthy'"),
	'4', 'two unhealthy turns, two messages each');

# ---- a failed drill ------------------------------------------------------------
q1('CREATE TABLE filler AS SELECT g, md5(g::text) AS t FROM generate_series(1, 20000) g');
my $bad = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
my ($bad_dir) = backup_dirs($repo, $bad);
my @objects = sort { -s $b <=> -s $a } grep { m{/data/base/\d+/\d+[^/]*$} } files_under("$bad_dir/data");
flip_bytes($objects[0]);
$m = marks();
my ($rc, $out, $err) = $node->psql('postgres', "SELECT safekeep.test_backup_recovery('$bad')");
isnt($rc, 0, "the drill of the corrupted backup $bad fails");
check_event('drill_failed', $m, 'restore drill failed',
	qr/^Backup: \Q$bad\E$/m, qr/^Error: .+/m, qr/SELECT checks FROM safekeep\.backup_test_log/);

# ---- retention removes a backup ------------------------------------------------
my $third = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
q1(join ";\n",
	(map { "ALTER SYSTEM SET safekeep.retention_$_ = 0" } qw(days daily weekly monthly yearly)),
	'ALTER SYSTEM SET safekeep.retention_full = 1', 'SELECT pg_reload_conf()');
$node->poll_query_until('postgres', "SELECT current_setting('safekeep.retention_full') = '1'")
  or die 'retention settings not reloaded';
$m = marks();
is( q1(
		"SELECT string_agg(label, ',' ORDER BY label) FROM safekeep.expire_backups(false) WHERE action = 'expire' AND label IS NOT NULL"
	),
	"$first,$bad",
	'retention_full = 1 expires the two older full backups');
check_event('retention_removed', $m, 'retention removed 2 backup(s)',
	qr/^Backup: \Q$first\E \(.+\), \Q$bad\E \(.+\)$/m,
	qr/expected if the safekeep\.retention_\* settings say so/);
unlike(join('', hooks_since(0)), qr/\Q$third\E/, 'the kept backup is named nowhere');

$r->stop;
$node->stop;
done_testing();
