# A real S3 server for the TAP tests: Ceph's radosgw on one machine
# (test/s3/start_radosgw.sh), and a look into its buckets through
# test/s3/s3_client.py (botocore, signed like any client).
package SafekeepS3;

use strict;
use warnings;

use Cwd 'abs_path';
use Exporter 'import';
use File::Basename 'dirname';
use IPC::Run;

our @EXPORT = qw(radosgw_installed start_radosgw stop_radosgw s3_list s3_uploads s3_heads
  s3_flip s3_gateway_stop s3_gateway_start);

my $s3dir = abs_path(dirname(__FILE__) . '/../s3');

sub radosgw_installed
{
	for my $prog (qw(ceph-mon ceph-osd radosgw radosgw-admin))
	{
		return 0 unless grep { -x "$_/$prog" } split /:/, $ENV{PATH} . ':/usr/bin';
	}
	return 1;
}

# Starts radosgw over TLS (certificate in $dir/tls, also the CA file), its
# cluster in $dir/ceph, with the bucket pgbackups and a user whose keys are
# returned. Returns a hash: handle, url, ca, access_key, secret_key,
# credentials (an AWS credentials file's text), log (the daemons' logs).
sub start_radosgw
{
	my ($dir) = @_;
	my %s = (
		access_key => 'SAFEKEEPTESTKEY0001',
		secret_key => 'safekeep-radosgw-test-secret-0001',
		ca => "$dir/tls/cert.pem",
		log => "$dir/ceph/log");
	local $ENV{RADOSGW_ACCESS_KEY} = $s{access_key};
	local $ENV{RADOSGW_SECRET_KEY} = $s{secret_key};
	local $ENV{RADOSGW_BUCKETS} = 'pgbackups';
	my ($out, $err) = ('', '');
	$s{out} = \$out;
	$s{handle} = IPC::Run::start(
		[ 'bash', "$s3dir/start_radosgw.sh", '--tls', "$dir/tls", 0, "$dir/ceph" ],
		'<', \undef, '>', \$out, '2>', \$err);
	# a cold start takes 15-30 s on two cores
	for (1 .. 1200)
	{
		last if $out =~ /radosgw ready: (\S+)/;
		last unless $s{handle}->pumpable;
		$s{handle}->pump_nb;
		select(undef, undef, undef, 0.1);
	}
	$out =~ /radosgw ready: (\S+)/ or die "radosgw did not start: $err (logs in $s{log})";
	$s{url} = $1;
	$s{credentials} = "[default]\naws_access_key_id = $s{access_key}\n"
	  . "aws_secret_access_key = $s{secret_key}\n";
	return \%s;
}

# Stops the cluster (the script's SIGTERM).
sub stop_radosgw
{
	my ($s3) = @_;
	$s3->{handle}->signal('TERM');
	$s3->{handle}->finish;
}

# Pumps the start script's output until $pattern appears after what was
# there before; dies after 60 s.
sub await_output
{
	my ($s3, $from, $pattern) = @_;
	for (1 .. 600)
	{
		return if substr(${ $s3->{out} }, $from) =~ $pattern;
		$s3->{handle}->pump_nb;
		select(undef, undef, undef, 0.1);
	}
	die "radosgw: no '$pattern' from the start script (logs in $s3->{log})";
}

# An S3 outage: the gateway stops, the OSD keeps the objects; and back.
sub s3_gateway_stop
{
	my ($s3) = @_;
	my $from = length ${ $s3->{out} };
	$s3->{handle}->signal('USR1');
	await_output($s3, $from, qr/radosgw stopped/);
}

sub s3_gateway_start
{
	my ($s3) = @_;
	my $from = length ${ $s3->{out} };
	$s3->{handle}->signal('USR2');
	await_output($s3, $from, qr/radosgw ready/);
}

sub s3_client
{
	my ($s3, @args) = @_;
	local $ENV{S3_URL} = $s3->{url};
	local $ENV{S3_CA} = $s3->{ca};
	local $ENV{S3_ACCESS_KEY} = $s3->{access_key};
	local $ENV{S3_SECRET_KEY} = $s3->{secret_key};
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'python3', "$s3dir/s3_client.py", @args ], '>', \$out, '2>', \$err)
	  or die "s3_client.py @args: $err";
	return $out;
}

# The objects under $prefix in bucket pgbackups: { key => size }.
sub s3_list
{
	my ($s3, $prefix) = @_;
	my %objects = map { my ($size, $key) = split / /, $_, 2; ($key => $size) }
	  split /\n/, s3_client($s3, 'list', 'pgbackups', $prefix // '');
	return \%objects;
}

# The first $n bytes of each object under $prefix: { key => bytes }.
sub s3_heads
{
	my ($s3, $prefix, $n) = @_;
	return {
		map { my ($key, $hex) = split / /, $_, 2; ($key => pack('H*', $hex // '')) }
		  split /\n/, s3_client($s3, 'heads', 'pgbackups', $prefix, $n)
	};
}

# Complements $len bytes in the middle of an object (a flipped byte on the
# server).
sub s3_flip
{
	my ($s3, $key, $len) = @_;
	s3_client($s3, 'flip', 'pgbackups', $key, $len);
}

# Unfinished multipart uploads in bucket pgbackups: a list of keys.
sub s3_uploads
{
	my ($s3) = @_;
	return map { (split / /)[0] } split /\n/, s3_client($s3, 'uploads', 'pgbackups');
}

1;
