# Notifications: a real HTTP receiver (python3 http.server) and a real SMTP
# server (aiosmtpd) on loopback.  Bad addresses are refused by the settings'
# check hooks; a completed backup sends nothing (notify_on_success is off); a
# failed backup (the repository's backup directory made read-only) sends
# exactly one webhook and one email carrying the error text; a webhook
# receiver that is down at first gets the message once it is back (retry with
# backoff), every attempt recorded in safekeep.notification_log, and the
# secret part of the webhook URL never shows in an error.
use strict;
use warnings;

use JSON::PP;
use NotifyTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $r = NotifyTest->new;
my ($http_port, $smtp_port) = ($r->{http_port}, $r->{smtp_port});
sub hook_lines { return $r->hook_lines }
sub mail_files { return $r->mail_files }

my $url_file = webhook_url_file("http://127.0.0.1:$http_port/services/T0/SECRETTOKEN");
my ($node, $repo) = safekeep_node(
	'notify', conf => qq{
safekeep.notify_webhook_url_file = '$url_file'
safekeep.smtp_server = '127.0.0.1'
safekeep.smtp_port = $smtp_port
safekeep.smtp_from = 'pg_safekeep\@db.example'
safekeep.smtp_to = 'dba\@example.org, ops\@example.org'
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
});

# ---- bad settings are refused ------------------------------------------------
sub refused
{
	my ($sql, $pattern, $what) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	isnt($rc, 0, "refused: $what");
	like($err, $pattern, "clear error: $what");
}
refused("ALTER SYSTEM SET safekeep.notify_webhook_url = 'https://hooks.example/T0/SECRETTOKEN'",
	qr/notify_webhook_url takes no URL.*\n.*DETAIL:.*access token.*\n.*HINT:.*notify_webhook_url_file/,
	'a webhook URL in a setting (it holds the token)');
refused("ALTER SYSTEM SET safekeep.notify_webhook_url_file = 'relative/url'",
	qr/absolute path/, 'a relative webhook URL file');
refused("ALTER SYSTEM SET safekeep.smtp_to = 'dba\@example.org, nobody'",
	qr/"nobody" in the recipient list is not an email address/, 'recipient without @');
refused("ALTER SYSTEM SET safekeep.smtp_from = 'backup'",
	qr/"backup" is not an email address/, 'sender without @');
refused("ALTER SYSTEM SET safekeep.smtp_server = 'smtp://mail.example.org'",
	qr/host name or address only/, 'SMTP server given as a URL');
refused("ALTER SYSTEM SET safekeep.smtp_tls = 'maybe'",
	qr/invalid value.*smtp_tls/, 'unknown TLS mode');

is($node->safe_psql('postgres', "SELECT string_agg(c, ',' ORDER BY c) FROM safekeep._notify_channels() c"),
	'email,webhook', 'both channels configured');

# ---- a completed backup sends nothing; a failed one one message per channel -
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "full backup $label completed");
wait_jobs_idle($node);
sleep 11;    # one notifier pass
is($node->safe_psql('postgres', 'SELECT count(*) FROM safekeep.notification_log'),
	'0', 'a completed backup queues nothing with notify_on_success off');

my ($backup_dir) = glob("$repo/*/backup");
ok(defined $backup_dir && -d $backup_dir, 'repository backup directory found');
chmod 0555, $backup_dir or die "chmod: $!";

sub failed_backup
{
	my ($rc, $out, $err) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
	isnt($rc, 0, 'backup into a read-only repository fails');
	wait_jobs_idle($node);
	# It fails before it has a label: the job holds the error (and its
	# failed-job-N row in backup_catalog, 026).
	return $node->safe_psql('postgres',
		"SELECT error_message FROM safekeep.jobs WHERE status = 'failed' ORDER BY id DESC LIMIT 1");
}

my $error = failed_backup();
ok($error ne '', "failed backup recorded its error: $error");
ok(wait_for(sub { hook_lines() >= 1 && mail_files() >= 1 }, 60),
	'webhook and email delivered');
sleep 12;    # a further notifier pass must not send again
my @hooks = hook_lines();
my @mails = mail_files();
is(scalar @hooks, 1, 'exactly one webhook');
is(scalar @mails, 1, 'exactly one email');

my $payload = eval { decode_json($hooks[0]) };
ok(defined $payload && defined $payload->{text}, 'webhook body is Slack-style {"text": ...}');
my $text = $payload ? $payload->{text} : '';
like($text, qr/backup failed/, 'webhook says a backup failed');
ok(index($text, $error) >= 0, 'webhook carries the error text');
like($text, qr/cluster_name notify, system identifier \d+/, 'webhook names the cluster');
like($text, qr/check_backup_health\(\)/, 'webhook says what to check first');

my $mail = slurp_file($mails[0]);
$mail =~ s/\r\n/\n/g;
like($mail, qr/^X-Rcpt: dba\@example.org,ops\@example.org$/m, 'email to both recipients');
like($mail, qr/^Subject: \[pg_safekeep\] full backup failed on notify \(\d+\)$/m, 'email subject');
like($mail, qr/^Date: \w{3}, \d\d \w{3} \d{4} /m, 'email has a Date header');
like($mail, qr/^Message-ID: <.+\@db\.example>$/m, 'email has a Message-ID');
ok(index($mail, $error) >= 0, 'email carries the error text');
is($node->safe_psql('postgres',
		"SELECT string_agg(channel || ':' || status || ':' || attempt, ',' ORDER BY channel) FROM safekeep.notification_log WHERE event = 'backup_failed'"),
	'email:sent:1,webhook:sent:1', 'notification_log: one sent row per channel');

# ---- a receiver that is down gets the message once it is back ---------------
$r->stop_http;
$error = failed_backup();
ok(wait_for(sub { mail_files() >= 2 }, 60), 'second email delivered');
ok( $node->poll_query_until(
		'postgres',
		"SELECT status = 'failed' AND attempt = 1 FROM safekeep.notification_log WHERE channel = 'webhook' ORDER BY id DESC LIMIT 1"
	),
	'webhook attempt failed while the receiver is down');
my $werr = $node->safe_psql('postgres',
	"SELECT error || ' | next in ' || round(extract(epoch FROM next_attempt_at - now())) FROM safekeep.notification_log WHERE channel = 'webhook' ORDER BY id DESC LIMIT 1");
like($werr, qr/webhook to 127\.0\.0\.1:$http_port failed/, "error names the host: $werr");
unlike($werr, qr/SECRETTOKEN/, 'error does not show the secret part of the URL');
$r->start_http;
ok(wait_for(sub { hook_lines() >= 2 }, 90), 'webhook delivered after the receiver came back');
$payload = eval { decode_json((hook_lines())[1]) };
ok($payload && index($payload->{text}, $error) >= 0, 'the retried webhook carries the error');
is($node->safe_psql('postgres',
		"SELECT status || ':' || attempt || ':' || jsonb_array_length(attempts) FROM safekeep.notification_log WHERE channel = 'webhook' ORDER BY id DESC LIMIT 1"),
	'sent:2:2', 'both attempts recorded');

chmod 0755, $backup_dir;
$r->stop;
$node->stop;
done_testing();
