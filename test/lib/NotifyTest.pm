# Receivers for the notification tests, on loopback: an HTTP server that
# appends each POST body as one line to a file, and an SMTP server (aiosmtpd)
# that saves each message in its own file, optionally requiring AUTH, and
# optionally speaking TLS (smtp_tls => 'starttls' required, or 'tls' implicit)
# with a certificate from make_tls_certs.
#
#   my $r = NotifyTest->new(smtp_user => 'u', smtp_password => 'p');
#   my $t = NotifyTest->new(smtp_tls => 'starttls', tls_certs => make_tls_certs($dir));
#   ... $r->{http_port}, $r->{smtp_port}, $r->hook_lines, $r->mail_files ...
#   $r->stop;
package NotifyTest;

use strict;
use warnings;

use Exporter 'import';
use File::Path qw(make_path);
use IO::Socket::INET;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(sleep);

our @EXPORT = qw(wait_for make_tls_certs webhook_url_file);

# Debian's python (the TAP runner's PATH may hold another without aiosmtpd).
my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

my $receiver_py = <<'PY';
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[2], 'ab') as f:
            f.write(body.replace(b'\n', b' ') + b'\n')
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'ok')

HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY

# smtpd.py PORT MAIL_DIR [--auth USER PASSWORD] [--starttls|--tls CERT KEY]:
# with --auth, AUTH is required (over plain text: loopback only) and the login
# is saved as X-Auth-User; --starttls requires STARTTLS before MAIL, --tls
# speaks TLS from the first byte.  X-Session-TLS says how the message came:
# starttls, tls or none.
my $smtpd_py = <<'PY';
import os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, maildir, opts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
creds, tls_mode, tls_files = [], None, None
while opts:
    if opts[0] == '--auth':
        creds, opts = opts[1:3], opts[3:]
    else:
        tls_mode, tls_files, opts = opts[0][2:], opts[1:3], opts[3:]

def session_tls(server, session):
    # session.ssl is set only by a STARTTLS upgrade.
    if session.ssl is not None:
        return b'starttls'
    if server.transport.get_extra_info('ssl_object') is not None:
        return b'tls'
    return b'none'

class MailSaver:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(maildir, '%f.eml' % time.time())
        with open(name + '.tmp', 'wb') as f:
            f.write(b'X-Rcpt: ' + ','.join(envelope.rcpt_tos).encode() + b'\r\n')
            f.write(b'X-Session-TLS: ' + session_tls(server, session) + b'\r\n')
            login = getattr(session.auth_data, 'login', None)
            if login:
                f.write(b'X-Auth-User: ' + login + b'\r\n')
            f.write(envelope.original_content)
        os.rename(name + '.tmp', name)
        return '250 OK'

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = [auth_data.login.decode(), auth_data.password.decode()] == creds
    return AuthResult(success=ok, auth_data=auth_data)

params = {}
if creds:
    params = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
if tls_mode:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    if tls_mode == 'starttls':
        params.update(tls_context=context, require_starttls=True)
    else:
        params.update(ssl_context=context)
Controller(MailSaver(), hostname='127.0.0.1', port=port, **params).start()
while True:
    time.sleep(3600)
PY

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close $fh or die "$path: $!";
	return;
}

# Starts both receivers and waits until they listen.
sub new
{
	my ($class, %opts) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir('notify');
	my $self = bless {
		dir => $dir,
		hooks => "$dir/hooks.txt",
		mails => "$dir/mail",
		http_port => PostgreSQL::Test::Cluster::get_free_port(),
		smtp_port => PostgreSQL::Test::Cluster::get_free_port(),
	}, $class;
	make_path($self->{mails});
	write_file("$dir/receiver.py", $receiver_py);
	write_file("$dir/smtpd.py", $smtpd_py);
	my @args;
	push @args, '--auth', $opts{smtp_user}, $opts{smtp_password} if defined $opts{smtp_user};
	push @args, "--$opts{smtp_tls}", @{ $opts{tls_certs} }{qw(cert key)} if $opts{smtp_tls};
	$self->{smtp} = IPC::Run::start(
		[ $python, "$dir/smtpd.py", $self->{smtp_port}, $self->{mails}, @args ],
		'>', "$dir/smtp.log", '2>&1');
	$self->start_http;
	wait_port($self->{smtp_port});
	return $self;
}

# A CA and a server certificate it signs for 127.0.0.1 and localhost, made in
# $dir: { ca => CA certificate (what clients trust), cert => ..., key => ... }.
sub make_tls_certs
{
	my ($dir) = @_;
	my %f = (ca => "$dir/ca.pem", cert => "$dir/server.pem", key => "$dir/server.key");
	my @ec = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes');
	write_file("$dir/server.ext",
		"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
	for my $cmd (
		[ 'req', '-x509', @ec, '-keyout', "$dir/ca.key", '-out', $f{ca}, '-days', 2,
			'-subj', '/CN=pg_safekeep test CA' ],
		[ 'req', @ec, '-keyout', $f{key}, '-out', "$dir/server.csr", '-subj', '/CN=127.0.0.1' ],
		[ 'x509', '-req', '-in', "$dir/server.csr", '-CA', $f{ca}, '-CAkey', "$dir/ca.key",
			'-CAcreateserial', '-days', 2, '-extfile', "$dir/server.ext", '-out', $f{cert} ])
	{
		IPC::Run::run([ 'openssl', @$cmd ], '>', '/dev/null', '2>', "$dir/openssl.log")
		  or die "openssl @$cmd[0..1] failed: " . PostgreSQL::Test::Utils::slurp_file("$dir/openssl.log");
	}
	return \%f;
}

sub wait_port
{
	my ($port) = @_;
	for (1 .. 100)
	{
		return 1 if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
		sleep 0.1;
	}
	die "nothing listens on port $port";
}

sub start_http
{
	my ($self) = @_;
	$self->{http} = IPC::Run::start(
		[ $python, "$self->{dir}/receiver.py", $self->{http_port}, $self->{hooks} ],
		'>>', "$self->{dir}/http.log", '2>&1');
	wait_port($self->{http_port});
	return;
}

sub stop_http
{
	my ($self) = @_;
	$self->{http}->kill_kill;
	$self->{http}->finish;
	return;
}

# The webhook bodies received so far, one per element.
sub hook_lines
{
	my ($self) = @_;
	my @l;
	if (-e $self->{hooks})
	{
		open(my $h, '<', $self->{hooks}) or die;
		@l = <$h>;
		close $h;
	}
	return @l;
}

# The saved emails, sorted by arrival; in scalar context, the count.
sub mail_files
{
	my ($self) = @_;
	my @f = sort glob("$self->{mails}/*.eml");
	return @f;
}

sub stop
{
	my ($self) = @_;
	for my $name ('http', 'smtp')
	{
		my $h = delete $self->{$name} or next;
		eval { $h->kill_kill; 1 };
	}
	return;
}

# A test that dies half-way must not leave its receivers running (they would
# keep ports, and any lock the test's parent holds, forever).
sub DESTROY
{
	my ($self) = @_;
	local ($@, $?);
	$self->stop;
	return;
}

# A file (mode 0600) whose first line is $url, for
# safekeep.notify_webhook_url_file: the setting itself refuses URLs.
sub webhook_url_file
{
	my ($url) = @_;
	my $path = PostgreSQL::Test::Utils::tempdir('webhook') . '/url';
	write_file($path, "$url\n");
	chmod 0600, $path or die "chmod $path: $!";
	return $path;
}

# Polls $cond every half second for up to $secs seconds.
sub wait_for
{
	my ($cond, $secs) = @_;
	for (1 .. $secs * 2)
	{
		return 1 if $cond->();
		sleep 0.5;
	}
	return 0;
}

1;
