/* SPDX-License-Identifier: MIT */
/*
 * w1 task 4 (§4.2): generate RSA private keys with OpenSSL 3's libcrypto
 * (EVP_PKEY_keygen, e = 65537, two primes), the work of `openssl genrsa`
 * without the process start and the PEM output. Keys are handed out to
 * `threads` threads from a shared counter; only generation is timed. The
 * keygen progress callback polls the stop flag, so a stop does not wait for
 * a prime search to finish.
 *
 * Self-check, after timing: every key has the asked size, passes OpenSSL's
 * pairwise check (n = p q, d e = 1 mod lambda(n), CRT values) and signs a
 * SHA-256 digest that its public half verifies. One bad key fails the sample.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/util.h"
#include "virtbench/workload.h"
#include "workload/common.h"

struct rsa_opts {
	uint64_t keys;
	uint64_t bits;
	uint64_t threads;
};

struct rsa_shared {
	EVP_PKEY **keys;
	size_t nkeys;
	size_t bits;
	atomic_size_t next;
	atomic_bool failed;
	volatile sig_atomic_t *stop;
	size_t failed_at;	/* written once, by the thread that set failed */
	unsigned long ossl_err; /* ERR_get_error() of that failure */
};

/* Called by OpenSSL while it searches for primes: returning 0 abandons the key. */
static int rsa_progress(EVP_PKEY_CTX *pctx)
{
	struct rsa_shared *sh = EVP_PKEY_CTX_get_app_data(pctx);

	return !(sh->stop && *sh->stop) && !atomic_load_explicit(&sh->failed, memory_order_relaxed);
}

/* Record the first failure (key index and OpenSSL reason); later ones are dropped. */
static void rsa_fail(struct rsa_shared *sh, size_t i)
{
	/* OpenSSL's error queue is per thread: take the reason here. */
	unsigned long e = ERR_get_error();
	bool expected = false;

	if (atomic_compare_exchange_strong(&sh->failed, &expected, true)) {
		sh->failed_at = i;
		sh->ossl_err = e;
	}
	ERR_clear_error();
}

static void *rsa_thread(void *arg)
{
	struct rsa_shared *sh = arg;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

	if (!pctx || EVP_PKEY_keygen_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(pctx, (int)sh->bits) != 1) {
		rsa_fail(sh, atomic_load(&sh->next));
		EVP_PKEY_CTX_free(pctx);
		return NULL;
	}
	EVP_PKEY_CTX_set_app_data(pctx, sh);
	EVP_PKEY_CTX_set_cb(pctx, rsa_progress);
	for (;;) {
		if (atomic_load(&sh->failed) || (sh->stop && *sh->stop))
			break;
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= sh->nkeys)
			break;
		if (EVP_PKEY_keygen(pctx, &sh->keys[i]) != 1) {
			EVP_PKEY_free(sh->keys[i]);
			sh->keys[i] = NULL;
			/* Abandoned because of a stop or another thread's failure: not a failure.
			 */
			if (!(sh->stop && *sh->stop) && !atomic_load(&sh->failed))
				rsa_fail(sh, i);
			ERR_clear_error();
			break;
		}
	}
	EVP_PKEY_CTX_free(pctx);
	return NULL;
}

/* Fill *err with the OpenSSL reason of e (or of the queue) after what. */
static int rsa_ossl_error(struct vb_error **err, unsigned long e, const char *what, size_t key)
{
	char buf[256] = "no OpenSSL reason";

	if (!e)
		e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return vb_error_set(err, -EIO, "cpu.rsa: key %zu: %s: %s", key + 1, what, buf);
}

/* Pairwise consistency, then a SHA-256 signature the key verifies. */
static int rsa_verify_key(EVP_PKEY *key, size_t bits, size_t idx, struct vb_error **err)
{
	static const unsigned char msg[] = "virtbench cpu.rsa self-check";
	unsigned char sig[16384 / 8];
	size_t siglen = sizeof(sig);
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = NULL;
	int r = 0;

	if ((size_t)EVP_PKEY_get_bits(key) != bits)
		return vb_error_set(err, -EIO, "cpu.rsa: key %zu has %d bits, not %zu", idx + 1,
				    EVP_PKEY_get_bits(key), bits);
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!pctx) {
		r = rsa_ossl_error(err, 0, "cannot make a check context", idx);
		goto out;
	}
	if (EVP_PKEY_pairwise_check(pctx) != 1) {
		r = rsa_ossl_error(err, 0, "fails the pairwise check", idx);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1) {
		r = rsa_ossl_error(err, 0, "cannot sign", idx);
		goto out;
	}
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)) != 1) {
		r = rsa_ossl_error(err, 0, "its signature does not verify", idx);
		goto out;
	}
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

static int rsa_run(const struct vb_workload_ctx *ctx, const void *o, double *values,
		   struct vb_error **err)
{
	const struct rsa_opts *opts = o;
	struct rsa_shared sh = { .nkeys = opts->keys, .bits = opts->bits, .stop = ctx->stop };
	size_t nthreads = opts->threads, started = 0;
	_cleanup_free_ pthread_t *tids = xcalloc(nthreads, sizeof(*tids));
	int r = 0;

	sh.keys = xcalloc(sh.nkeys, sizeof(*sh.keys));
	atomic_init(&sh.next, 0);
	atomic_init(&sh.failed, false);

	/* Load the provider and fetch RSA before timing, as a long-lived process would. */
	EVP_PKEY_CTX *warm = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!warm) {
		r = rsa_ossl_error(err, 0, "OpenSSL has no RSA key generator", 0);
		goto out;
	}
	EVP_PKEY_CTX_free(warm);

	double t0 = vb_now();
	for (; started < nthreads; started++) {
		r = pthread_create(&tids[started], NULL, rsa_thread, &sh);
		if (r)
			break;
	}
	if (r)
		atomic_store(&sh.failed, true);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	double elapsed = vb_now() - t0;

	if (r) {
		r = vb_error_errno(err, r, "cpu.rsa: cannot start thread %zu of %zu", started + 1,
				   nthreads);
		goto out;
	}
	if (atomic_load(&sh.failed)) {
		r = rsa_ossl_error(err, sh.ossl_err, "key generation failed", sh.failed_at);
		goto out;
	}
	if (ctx->stop && *ctx->stop) {
		r = vb_error_set(err, -EINTR, "cpu.rsa: stopped");
		goto out;
	}
	for (size_t i = 0; i < sh.nkeys; i++) {
		if (!sh.keys[i]) {
			r = vb_error_set(err, -EIO, "cpu.rsa: key %zu was not generated", i + 1);
			goto out;
		}
		r = rsa_verify_key(sh.keys[i], sh.bits, i, err);
		if (r)
			goto out;
	}
	if (elapsed <= 0) {
		r = vb_error_set(err, -EIO, "cpu.rsa: the clock did not advance");
		goto out;
	}
	if (ctx->log) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "%zu RSA-%zu keys pass the pairwise check and sign/verify", sh.nkeys,
			 sh.bits);
		ctx->log(ctx->log_data, msg);
	}
	values[0] = elapsed;
	values[1] = (double)sh.nkeys / elapsed;
out:
	for (size_t i = 0; i < sh.nkeys; i++)
		EVP_PKEY_free(sh.keys[i]);
	free(sh.keys);
	return r;
}

static int rsa_check(const void *o, const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	const struct rsa_opts *opts = o;

	(void)ctx;
	if (opts->threads > opts->keys)
		return vb_error_set(err, -EINVAL,
				    "cpu.rsa: threads=%llu is more than keys=%llu: some threads "
				    "would have nothing to do",
				    (unsigned long long)opts->threads,
				    (unsigned long long)opts->keys);
	return 0;
}

static const struct vb_option rsa_options[] = {
	VB_OPTION("keys", VB_OPT_U64, struct rsa_opts, keys, 30, 500, 1, 10000,
		  "RSA private keys to generate"),
	VB_OPTION("bits", VB_OPT_U64, struct rsa_opts, bits, 1024, 2048, 1024, 16384,
		  "modulus size in bits"),
	VB_OPTION("threads", VB_OPT_U64, struct rsa_opts, threads, 1, 1, 1, 1024,
		  "threads generating keys (the study used one)"),
	{ 0 },
};

static const struct vb_metric_desc rsa_metrics[] = {
	{ "elapsed", "s", false, "time to generate every key" },
	{ "rate", "keys/s", true, "keys generated per second" },
	{ 0 },
};

const struct vb_workload_ops vb_workload_cpu_rsa = {
	.name = "cpu.rsa",
	.group = "w1",
	.summary = "RSA private-key generation with OpenSSL libcrypto, every key checked",
	.study_ref = "§4.2 task 4",
	.options = rsa_options,
	.opts_size = sizeof(struct rsa_opts),
	.metrics = rsa_metrics,
	.check = rsa_check,
	.run = rsa_run,
};
