/*
 * Files only their owner may read or write: the ticket cache --ccache keeps
 * and the TLS session --tls-session keeps. Read only when they are the
 * user's own regular file of mode 0600 or stricter (as ssh reads a private
 * key); written whole under a temporary name and renamed, never through a
 * link.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_private_read(const char *path, void *buf, size_t cap, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	while (got < cap && (n = read(fd, (char *)buf + got, cap - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got == cap) { /* larger than the buffer: not one we wrote */
		wrsh_wipe(buf, cap);
		errno = EFBIG;
		return -1;
	}
	*len = got;
	return 0;
}

int cli_private_write(const char *path, const void *buf, size_t len)
{
	char tmp[1100];
	int fd, saved;
	bool ok;
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.wrsh-new", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len;
	if (fd >= 0 && close(fd))
		ok = false;
	if (ok && !rename(tmp, path))
		return 0;
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}
