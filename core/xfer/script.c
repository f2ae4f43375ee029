/*
 * The PowerShell that runs on the host for put and get, and how values
 * go into it: every value the caller gives is a single-quoted literal with
 * its quotes doubled (PowerShell takes U+2018..U+201B as quotes too, so
 * those are doubled as well: about_Quoting_Rules), numbers are written by
 * us. The scripts use .NET only (FileStream, SHA256, Convert) and no
 * ::new or DateTimeOffset: the same text runs in PowerShell 3 and 4 (.NET
 * 4.5: Windows Server 2012 R2 as shipped), 5.1 and 7, never reads a
 * whole file, and keeps a put's open stream in $global:wrsh_put between
 * the pipelines of one file (a runspace keeps its globals: a pipeline of
 * input is cut every CONFIG_WRSH_XFER_SEGMENT bytes, below Windows'
 * MaximumReceivedDataSizePerCommandMB, 50 by default).
 *
 * What the scripts print, one string each (data strings are base64):
 *   !ready N HEX|- PATH   put: the partial holds N bytes, their SHA-256
 *   !at N                 put: a segment's end, N bytes written so far
 *   !done HEX N PATH      put: verified and renamed
 *   !bad HEX              put: the hashes differ; the partial is deleted
 *   !name NAME, !dir NAME get: the next file's name; a folder (TREE)
 *   !file LEN AT MTIME    get: the file's bytes follow, from AT
 *   !end HEX              get: the file's SHA-256
 *   !tree                 get TREE: all sent
 *   !err KIND MESSAGE     the operation failed; KIND: missing access
 *                         exists isdir full inuse toolong io
 */
#include "xfer/xfer.h"

static const char helpers[] =
	"$ErrorActionPreference = 'Stop'\n"
	"function wrsh_why($r) {\n"
	" $e = if ($r -is [Management.Automation.ErrorRecord]) { $r.Exception } else { $r }\n"
	" while ($e.InnerException -and $e -is "
	"[Management.Automation.MethodInvocationException]) "
	"{ $e = $e.InnerException }\n"
	" $h = $e.HResult -band 0xFFFF\n"
	" $k = if ($e -is [UnauthorizedAccessException]) { 'access' }\n"
	"  elseif ($e -is [IO.FileNotFoundException] -or $e -is [IO.DirectoryNotFoundException]) "
	"{ 'missing' }\n"
	"  elseif ($e -is [IO.PathTooLongException] -or $h -eq 206) { 'toolong' }\n"
	"  elseif ($h -eq 32 -or $h -eq 33) { 'inuse' }\n"
	"  elseif ($h -eq 39 -or $h -eq 112 -or $h -eq 28) { 'full' } else { 'io' }\n"
	" '!err ' + $k + ' ' + ($e.Message -replace '\\s+', ' ')\n"
	"}\n"
	"function wrsh_long($p) {\n"
	" if ($PSVersionTable.PSVersion.Major -ge 6 -or $p.Length -lt 248) { return $p }\n"
	" if ($p -match '^[A-Za-z]:\\\\') { return '\\\\?\\' + $p }\n"
	" if ($p.StartsWith('\\\\') -and -not $p.StartsWith('\\\\?')) "
	"{ return '\\\\?\\UNC\\' + $p.Substring(2) }\n"
	" $p\n"
	"}\n"
	"function wrsh_epoch { New-Object DateTime 1970, 1, 1, 0, 0, 0, ([DateTimeKind]::Utc) }\n"
	"function wrsh_hex($b) { [BitConverter]::ToString($b).Replace('-', "
	"'').ToLowerInvariant() }\n"
	"function wrsh_path($p) { "
	"$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p) }\n";

/* put: args remote, leaf, open, mkdirs, noclobber, resume */
static const char put_script[] =
	"begin {\n\003$open = \001; $mkdirs = \001; $noclobber = \001; $resume = \001\n"
	"if (-not $open) {\n"
	" if (-not $global:wrsh_put) { '!err io the transfer''s state is gone (the runspace was "
	"reset)' }\n"
	" return\n"
	"}\n"
	"try {\n"
	" if ($global:wrsh_put) { $global:wrsh_put.fs.Dispose(); $global:wrsh_put = $null }\n"
	" $d = wrsh_path '\002'\n"
	" if ([IO.Directory]::Exists((wrsh_long $d))) { $d = [IO.Path]::Combine($d, '\002') }\n"
	" $dir = [IO.Path]::GetDirectoryName($d)\n"
	" if ($mkdirs -and $dir) { [void][IO.Directory]::CreateDirectory((wrsh_long $dir)) }\n"
	" if ([IO.Directory]::Exists((wrsh_long $d))) { '!err isdir ' + $d; return }\n"
	" if ($dir -and -not [IO.Directory]::Exists((wrsh_long $dir))) "
	"{ '!err missing ' + $dir; return }\n"
	" if ($noclobber -and [IO.File]::Exists((wrsh_long $d))) { '!err exists ' + $d; return }\n"
	" $t = [IO.Path]::Combine($dir, [IO.Path]::GetFileName($d) + '.wrsh-part')\n"
	" $fs = New-Object IO.FileStream (wrsh_long $t), OpenOrCreate, ReadWrite, Read\n"
	" $sha = [Security.Cryptography.SHA256]::Create(); $n = [long]0; $pre = '-'\n"
	" if ($resume) {\n"
	"  $ps = [Security.Cryptography.SHA256]::Create(); $b = New-Object byte[] 1048576\n"
	"  while (($k = $fs.Read($b, 0, $b.Length)) -gt 0) {\n"
	"   [void]$sha.TransformBlock($b, 0, $k, $null, 0); [void]$ps.TransformBlock($b, 0, $k, "
	"$null, 0)\n"
	"   $n += $k\n"
	"  }\n"
	"  [void]$ps.TransformFinalBlock($b, 0, 0); $pre = wrsh_hex $ps.Hash\n"
	" } else { $fs.SetLength(0) }\n"
	" $global:wrsh_put = @{ fs = $fs; sha = $sha; n = $n; d = $d; t = $t }\n"
	" '!ready ' + $n + ' ' + $pre + ' ' + $d\n"
	"} catch { wrsh_why $_ }\n"
	"}\n"
	"process {\n"
	"$x = $global:wrsh_put\n"
	"if (-not $x) { return }\n"
	"try {\n"
	" if ($_[0] -ne '!') {\n"
	"  $b = [Convert]::FromBase64String($_)\n"
	"  $x.fs.Write($b, 0, $b.Length); [void]$x.sha.TransformBlock($b, 0, $b.Length, $null, 0)\n"
	"  $x.n += $b.Length\n"
	"  return\n"
	" }\n"
	" $w = $_.Split(' ')\n"
	" if ($w[0] -eq '!restart') {\n"
	"  $x.fs.SetLength(0); $x.sha.Dispose(); $x.sha = "
	"[Security.Cryptography.SHA256]::Create(); $x.n = [long]0\n"
	"  return\n"
	" }\n"
	" [void]$x.sha.TransformFinalBlock((New-Object byte[] 0), 0, 0); $h = wrsh_hex "
	"$x.sha.Hash\n"
	" $x.fs.Dispose(); $global:wrsh_put = $null\n"
	" $lt = wrsh_long $x.t; $ld = wrsh_long $x.d\n"
	" if ($h -ne $w[1]) { [IO.File]::Delete($lt); '!bad ' + $h; return }\n"
	" if ($w[2] -ne '-') {\n"
	"  [IO.File]::SetLastWriteTimeUtc($lt, (wrsh_epoch).AddMilliseconds([long]$w[2]))\n"
	" }\n"
	" if ($PSVersionTable.PSVersion.Major -ge 6) { [IO.File]::Move($lt, $ld, $true) }\n"
	" elseif ([IO.File]::Exists($ld)) { [IO.File]::Replace($lt, $ld, $null) }\n"
	" else { [IO.File]::Move($lt, $ld) }\n"
	" '!done ' + $h + ' ' + $x.n + ' ' + $x.d\n"
	"} catch {\n"
	" wrsh_why $_\n"
	" if ($global:wrsh_put) { $global:wrsh_put.fs.Dispose(); $global:wrsh_put = $null }\n"
	"}\n"
	"}\n"
	"end { if ($global:wrsh_put) { '!at ' + $global:wrsh_put.n } }\n";

/* the open stream of a put that was given up (kept on disk for a resume) */
static const char put_abort_script[] =
	"if ($global:wrsh_put) { $global:wrsh_put.fs.Dispose(); $global:wrsh_put = $null }\n";

/* get: args remote, tree, at, prefix hash, chunk */
static const char get_script[] =
	"\003"
	"$tree = \001; $at = [long]\001; $pre = '\002'; $chunk = \001\n"
	"function wrsh_send($p, $at) {\n"
	" $fs = New-Object IO.FileStream (wrsh_long $p), Open, Read, 'ReadWrite, Delete'\n"
	" try {\n"
	"  $sha = [Security.Cryptography.SHA256]::Create(); $len = $fs.Length; $b = "
	"New-Object byte[] $chunk\n"
	"  $mt = [long]([IO.File]::GetLastWriteTimeUtc((wrsh_long $p)) - "
	"(wrsh_epoch)).TotalMilliseconds\n"
	"  if ($at -gt 0 -and $at -le $len) {\n"
	"   $ps = [Security.Cryptography.SHA256]::Create(); $left = $at\n"
	"   while ($left -gt 0 -and ($k = $fs.Read($b, 0, [int][Math]::Min($b.Length, $left))) -gt "
	"0) {\n"
	"    [void]$sha.TransformBlock($b, 0, $k, $null, 0); [void]$ps.TransformBlock($b, 0, $k, "
	"$null, 0)\n"
	"    $left -= $k\n"
	"   }\n"
	"   [void]$ps.TransformFinalBlock($b, 0, 0)\n"
	"   if ((wrsh_hex $ps.Hash) -ne $pre) {\n"
	"    $at = 0; $fs.Position = 0; $sha.Dispose(); $sha = "
	"[Security.Cryptography.SHA256]::Create()\n"
	"   }\n"
	"  } else { $at = 0 }\n"
	"  '!file ' + $len + ' ' + $at + ' ' + $mt\n"
	"  while (($k = $fs.Read($b, 0, $b.Length)) -gt 0) {\n"
	"   [void]$sha.TransformBlock($b, 0, $k, $null, 0); [Convert]::ToBase64String($b, 0, $k)\n"
	"  }\n"
	"  [void]$sha.TransformFinalBlock($b, 0, 0); '!end ' + (wrsh_hex $sha.Hash)\n"
	" } finally { $fs.Dispose() }\n"
	"}\n"
	"try {\n"
	" $s = wrsh_path '\002'\n"
	" if (-not [IO.Directory]::Exists((wrsh_long $s))) {\n"
	"  if ($tree -and [IO.File]::Exists((wrsh_long $s))) { '!err isdir not a folder: ' + $s; "
	"return }\n"
	"  '!name ' + $s; wrsh_send $s $at; return\n"
	" }\n"
	" if (-not $tree) { '!err isdir ' + $s; return }\n"
	" $root = $s.TrimEnd('\\', '/').Length + 1\n"
	" foreach ($i in Get-ChildItem -LiteralPath $s -Recurse -Force) {\n"
	"  $rel = $i.FullName.Substring($root).Replace('\\', '/')\n"
	"  if ($i.PSIsContainer) { '!dir ' + $rel; continue }\n"
	"  '!name ' + $rel\n"
	"  try { wrsh_send $i.FullName 0 } catch { wrsh_why $_ }\n"
	" }\n"
	" '!tree'\n"
	"} catch { wrsh_why $_ }\n";

static const char mkdir_script[] = "\003try { [void][IO.Directory]::CreateDirectory((wrsh_long "
				   "(wrsh_path '\002'))); '!done' } catch { wrsh_why $_ }\n";

/* A value as the inside of a single-quoted literal. */
static void put_quoted(struct sbuf *b, const char *v)
{
	const unsigned char *u = (const unsigned char *)v;
	for (; *u; u++) {
		sb_putc(b, (char)*u);
		if (*u == '\'')
			sb_putc(b, '\'');
		/* U+2018..U+201B: E2 80 98..9B */
		if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9B) {
			sb_put(b, u + 1, 2);
			sb_put(b, u, 3);
			u += 2;
		}
	}
}

/* The template with \001 replaced by the next word of words (written by
 * us), \002 by the next of values (the caller's, quoted), \003 by the
 * helper functions. */
static void expand(struct sbuf *b, const char *tpl, const char *const *words,
		   const char *const *values)
{
	for (; *tpl; tpl++) {
		if (*tpl == '\001')
			sb_puts(b, *words++);
		else if (*tpl == '\002')
			put_quoted(b, *values++);
		else if (*tpl == '\003')
			sb_puts(b, helpers); /* once in the binary, in every script */
		else
			sb_putc(b, *tpl);
	}
}

static const char *flag(bool v)
{
	return v ? "$true" : "$false";
}

size_t xfer_script_max(size_t values_len)
{
	return sizeof(helpers) + sizeof(put_script) + sizeof(get_script) + 6 * values_len + 256;
}

void xfer_script_put(struct sbuf *b, const char *remote, const char *leaf, bool open,
		     unsigned flags)
{
	const char *words[4], *values[2];
	words[0] = flag(open);
	words[1] = flag(flags & WRSH_XFER_MKDIRS);
	words[2] = flag(flags & WRSH_XFER_NO_CLOBBER);
	words[3] = flag(flags & WRSH_XFER_RESUME);
	values[0] = remote;
	values[1] = leaf;
	expand(b, put_script, words, values);
}

void xfer_script_put_abort(struct sbuf *b)
{
	sb_puts(b, put_abort_script);
}

void xfer_script_get(struct sbuf *b, const char *remote, bool tree, uint64_t at,
		     const char *prefix_hex, size_t chunk)
{
	char at_s[24], chunk_s[24];
	const char *words[3], *values[2];
	struct sbuf n;
	sb_init(&n, at_s, sizeof(at_s));
	sb_put_u64(&n, at);
	sb_cstr(&n);
	sb_init(&n, chunk_s, sizeof(chunk_s));
	sb_put_u64(&n, chunk);
	sb_cstr(&n);
	words[0] = flag(tree);
	words[1] = at_s;
	words[2] = chunk_s;
	values[0] = prefix_hex;
	values[1] = remote;
	expand(b, get_script, words, values);
}

void xfer_script_mkdir(struct sbuf *b, const char *remote)
{
	const char *values[1];
	values[0] = remote;
	expand(b, mkdir_script, NULL, values);
}
