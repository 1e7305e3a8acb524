# Email over TLS against real SMTP servers on loopback (aiosmtpd) whose
# certificate a private CA signs (made here with openssl), trusted through
# safekeep.smtp_ca_file.  smtp_tls = starttls and smtp_tls = tls each deliver
# a notification (a completed backup, notify_on_success on) exactly once, and
# the server says the session was upgraded by STARTTLS or was TLS from the
# start.  Without the CA file the certificate is not trusted: the attempt
# fails and notification_log says why.  A CA file that is not there, or not
# an absolute path, is refused when it is set; non-superusers cannot read it.
use strict;
use warnings;

use NotifyTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $certs = make_tls_certs(PostgreSQL::Test::Utils::tempdir('tls'));
my %receiver = (
	starttls => NotifyTest->new(smtp_tls => 'starttls', tls_certs => $certs),
	tls => NotifyTest->new(smtp_tls => 'tls', tls_certs => $certs));

my ($node) = safekeep_node(
	'smtp_tls', conf => qq{
safekeep.smtp_server = '127.0.0.1'
safekeep.smtp_port = $receiver{starttls}{smtp_port}
safekeep.smtp_tls = starttls
safekeep.smtp_ca_file = '$certs->{ca}'
safekeep.smtp_from = 'pg_safekeep\@db.example'
safekeep.smtp_to = 'dba\@example.org'
safekeep.notify_on_success = on
safekeep.verify_after_backup = off
safekeep.expire_after_backup = off
safekeep.drill_interval = 0
});

sub q1 { return $node->safe_psql('postgres', $_[0]) }

sub reconfigure
{
	my ($sql, $check) = @_;
	q1("$sql; SELECT pg_reload_conf()");
	$node->poll_query_until('postgres', $check) or die "not reloaded: $check";
	return;
}

# ---- the CA file setting -------------------------------------------------------
sub refused
{
	my ($value, $pattern, $what) = @_;
	my ($rc, $out, $err) =
	  $node->psql('postgres', "ALTER SYSTEM SET safekeep.smtp_ca_file = '$value'");
	isnt($rc, 0, "refused: $what");
	like($err, $pattern, "clear error: $what");
}
refused('/nonexistent/ca.pem',
	qr/invalid value for parameter "safekeep.smtp_ca_file".*\n.*Could not access the CA file "\/nonexistent\/ca.pem": No such file or directory/,
	'a CA file that does not exist');
refused('ca.pem', qr/must be given as an absolute path/, 'a relative CA file path');
refused('/tmp', qr/"\/tmp" is not a regular file/, 'a directory as CA file');

q1('CREATE ROLE plain LOGIN');
my ($rc, $out, $err) = $node->psql('postgres', 'SHOW safekeep.smtp_ca_file',
	extra_params => [ '-U', 'plain' ]);
isnt($rc, 0, 'a non-superuser cannot read safekeep.smtp_ca_file');
is(q1('SHOW safekeep.smtp_ca_file'), $certs->{ca}, 'the superuser sees the CA file');

# ---- delivery over STARTTLS and over implicit TLS -------------------------------
sub mail_count { return scalar($receiver{ $_[0] }->mail_files) }

# A completed backup; its email must reach $mode's receiver exactly once.
sub delivered_once
{
	my ($mode) = @_;
	my $label = q1('SELECT safekeep.create_full_backup()');
	wait_jobs_idle($node);
	ok(wait_for(sub { mail_count($mode) >= 1 }, 60), "$mode: email for backup $label delivered");
	sleep 11;    # a further notifier pass must not send again
	is(mail_count($mode), 1, "$mode: exactly one email");
	my ($file) = $receiver{$mode}->mail_files;
	my $mail = $file ? slurp_file($file) : '';
	$mail =~ s/\r\n/\n/g;
	like($mail, qr/^X-Session-TLS: $mode$/m, "$mode: the server received it over $mode");
	like($mail, qr/^Subject: \[pg_safekeep\] full backup completed on smtp_tls \(\d+\)$/m,
		"$mode: subject says the backup completed");
	like($mail, qr/^Backup: \Q$label\E$/m, "$mode: body names the backup");
	is( q1(
			"SELECT status || ':' || attempt FROM safekeep.notification_log WHERE strpos(body, 'Backup: $label') > 0"
		),
		'sent:1',
		"$mode: notification_log has one message, sent at the first attempt");
	return $label;
}

delivered_once('starttls');
reconfigure(
	"ALTER SYSTEM SET safekeep.smtp_port = $receiver{tls}{smtp_port}; ALTER SYSTEM SET safekeep.smtp_tls = 'tls'",
	"SELECT current_setting('safekeep.smtp_tls') = 'tls'");
delivered_once('tls');
is(mail_count('starttls'), 1, 'the STARTTLS server got nothing more');

# ---- without the CA the server's certificate is not trusted --------------------
reconfigure("ALTER SYSTEM SET safekeep.smtp_ca_file = ''",
	"SELECT current_setting('safekeep.smtp_ca_file') = ''");
my $label = q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
ok( $node->poll_query_until(
		'postgres',
		"SELECT status = 'failed' AND attempt = 1 FROM safekeep.notification_log WHERE strpos(body, 'Backup: $label') > 0"
	),
	'untrusted certificate: the attempt failed');
my $error = q1(
	"SELECT error FROM safekeep.notification_log WHERE strpos(body, 'Backup: $label') > 0");
like($error, qr/^email through 127\.0\.0\.1:$receiver{tls}{smtp_port} failed: .*certificate/,
	"the error names the server and the certificate: $error");
is(mail_count('tls'), 1, 'nothing was delivered without trusting the certificate');

$_->stop for values %receiver;
$node->stop;
done_testing();
