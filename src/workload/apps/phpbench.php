<?php
// SPDX-License-Identifier: MIT
/*
 * PHP interpreter micro-benchmarks for virtbench, in the spirit of phpbench.
 *
 * The study ran Phoronix pts/phpbench 1.1.0 (one million iterations of each
 * construct). Debian 12 ships no phpbench, so this is written here for
 * virtbench (nothing is copied from phpbench): a set of small tests, one
 * function each, over the constructs PHP code uses most. PHP 8.2 CLI, core
 * extensions only (Core, standard, pcre).
 *
 * With --iterations N each test runs its loop N times, every construct in it
 * once per iteration (so N = 1000000 is phpbench's million iterations per
 * construct), and returns a result that is checked against an expected value
 * computed another way (a closed form, never by running the same code
 * again); a mismatch prints `error TEST: expected X, got Y` on stderr and
 * exits 1. Every round is checked. Each round runs every test once, the
 * cycle collector is off while a test is timed, and a test's time is its
 * minimum over the rounds.
 *
 * Usage: phpbench.php [--iterations N] [--rounds R] [--only T[,T...]] [--list]
 * Output (stdout, nothing else): one line `test NAME SECONDS` per test, in the
 * order of --list, SECONDS the minimum over the rounds with 6 decimals; then
 * `total SECONDS`, the sum of the per-test minimums. Bad arguments: a message
 * on stderr, exit 2. VB_BENCH_BREAK=TEST corrupts that test's result (to show
 * that the self-check fails: exit 1).
 *
 * Recommended settings (the defaults are the full ones) and their native run
 * times here (2 vCPUs, Debian 12, php8.2-cli 8.2.36 with opcache and JIT off,
 * as the CLI has them; measured while other jobs loaded the machine, load
 * average 5-6, so wall time ran above CPU time):
 *   quick: --iterations 100000 --rounds 2    wall 1.4-1.9 s, CPU 1.1 s;
 *                                            total line 0.53-0.75 s
 *   full:  --iterations 1000000 --rounds 3   wall 21 s, CPU 17.7 s; total
 *                                            line 5.6 s, from 0.07 s
 *                                            (arith_int) to 1.57 s
 *                                            (exceptions) per test
 */

ini_set('display_errors', 'stderr');
error_reporting(E_ALL);
set_error_handler(function (int $no, string $msg, string $file, int $line): bool {
	throw new ErrorException($msg, 0, $no, $file, $line);
});

const DEFAULT_ITERATIONS = 1000000;
const DEFAULT_ROUNDS = 3;
const MAX_ITERATIONS = 100000000; // sums stay exact in 64-bit ints and doubles
const MAX_ROUNDS = 1000;

// ---- closed forms used by the expected values -------------------------------

/** 0 + 1 + ... + (n-1) */
function sum_range(int $n): int
{
	return intdiv($n * ($n - 1), 2);
}

/** sum of i % d for 0 <= i < n */
function sum_mod(int $n, int $d): int
{
	$q = intdiv($n, $d);
	$r = $n % $d;
	return $q * intdiv($d * ($d - 1), 2) + intdiv($r * ($r - 1), 2);
}

/** sum of intdiv(i, d) for 0 <= i < n */
function sum_div(int $n, int $d): int
{
	$q = intdiv($n, $d);
	$r = $n % $d;
	return $d * intdiv($q * ($q - 1), 2) + $r * $q;
}

/** how many 0 <= i < n have i % d == k */
function count_mod(int $n, int $d, int $k): int
{
	return intdiv($n, $d) + ($k < $n % $d ? 1 : 0);
}

/** 0 ^ 1 ^ ... ^ m */
function xor_upto(int $m): int
{
	if ($m < 0) {
		return 0;
	}
	return [$m, 1, $m + 1, 0][$m % 4];
}

/** sum over 0 <= i < n of max(floor, number of decimal digits of i) */
function digits_sum(int $n, int $floor = 0): int
{
	$total = 0;
	for ($d = 1, $lo = 0; $lo < $n; $d++) {
		$hi = 10 ** $d;
		$total += max($floor, $d) * (min($n, $hi) - $lo);
		$lo = $hi;
	}
	return $total;
}

/** how many 0 <= i < n are written with a leading digit 1 */
function leading_one(int $n): int
{
	$total = 0;
	for ($p = 1; $p < $n; $p *= 10) {
		$total += min($n, 2 * $p) - $p;
	}
	return $total;
}

/**
 * x after n steps of x = (a*x + c) % m, by jumping: the affine map x -> a*x+c
 * composed with itself by squaring (all products stay below 2^62).
 */
function lcg_jump(int $x, int $a, int $c, int $m, int $n): int
{
	$ja = 1;
	$jc = 0; // the identity
	while ($n > 0) {
		if ($n & 1) { // (a, c) after (ja, jc)
			$jc = ($a * $jc + $c) % $m;
			$ja = ($a * $ja) % $m;
		}
		$c = ($a * $c + $c) % $m; // (a, c) after itself
		$a = ($a * $a) % $m;
		$n >>= 1;
	}
	return ($ja * $x + $jc) % $m;
}

// ---- the tests ---------------------------------------------------------------
// Each test: t_NAME(n) returns a list of values; e_NAME(n) the list it must equal.

const LCG_A = 1103515245;
const LCG_C = 12345;
const LCG_M = 2147483648;

function t_arith_int(int $n): array
{
	$s1 = $s2 = $s3 = $s4 = $s5 = $inc = 0;
	$x = 1;
	for ($i = 0; $i < $n; $i++) {
		$s1 += $i * 3 - 1;
		$s2 += $i % 7 + intdiv($i, 3);
		$s3 ^= $i;
		$s4 += ($i << 2) - ($i >> 1) + ($i & 3);
		$s5 += 2 ** ($i & 7);
		$x = ($x * LCG_A + LCG_C) % LCG_M;
		$inc++;
		++$inc;
		$inc--;
	}
	return [$s1, $s2, $s3, $s4, $s5, $x, $inc];
}

function e_arith_int(int $n): array
{
	$r = $n % 8; // 2^0 + ... + 2^7 = 255 for each full eight
	return [3 * sum_range($n) - $n, sum_mod($n, 7) + sum_div($n, 3), xor_upto($n - 1),
		4 * sum_range($n) - sum_div($n, 2) + sum_mod($n, 4), intdiv($n, 8) * 255 + (1 << $r) - 1,
		lcg_jump(1, LCG_A, LCG_C, LCG_M, $n), $n];
}

function t_arith_float(int $n): array
{
	$q = $t = $g = $r = 0.0;
	for ($i = 0; $i < $n; $i++) {
		$f = (float)$i;
		$q += $f * 0.75 - $f / 2.0;
		$t += 1.0 / (($f + 1.0) * ($f + 2.0));
		$g = $g * 0.5 + 1.0;
		$r += abs(-$f) - sqrt($f * $f) + 0.5;
	}
	return [$q, $t, $g, $r];
}

function e_arith_float(int $n): array
{
	return [sum_range($n) / 4.0, 1.0 - 1.0 / ($n + 1), 2.0 - 2.0 ** (1 - $n), $n * 0.5];
}

function f0()
{
	return 1;
}

function f1($a)
{
	return $a;
}

function f2($a, $b)
{
	return $a - $b;
}

function f3($a, $b = 2, $c = 3)
{
	return $a + $b + $c;
}

function fvar(...$args)
{
	return count($args);
}

function fref(&$x)
{
	$x++;
}

function frec($k)
{
	return $k === 0 ? 0 : 1 + frec($k - 1);
}

function t_calls(int $n): array
{
	$s = $count = 0;
	$name = 'f1';
	for ($i = 0; $i < $n; $i++) {
		$s += f0() + f1($i) + f2($i, 1) + f3($i) + f3($i, c: 0);
		$s += fvar($i, $i, $i) + frec(3) + $name($i);
		fref($count);
	}
	return [$s, $count];
}

function e_calls(int $n): array
{
	// 1 + i + (i-1) + (i+5) + (i+2) + 3 + 3 + i per iteration
	return [5 * sum_range($n) + 13 * $n, $n];
}

class Acc
{
	public $v = 0;

	public function add($x)
	{
		$this->v += $x;
	}

	public function get()
	{
		return $this->v;
	}

	public function one()
	{
		return 1;
	}

	public static function twice($x)
	{
		return 2 * $x;
	}
}

class SubAcc extends Acc
{
	public function add($x)
	{
		parent::add($x);
	}
}

class Doubler
{
	public function __invoke($x)
	{
		return 2 * $x;
	}
}

function t_methods(int $n): array
{
	$a = new SubAcc();
	$bound = $a->add(...);
	$k = 3;
	$add3 = function ($y) use ($k) {
		return $y + $k;
	};
	$count = 0;
	$bump = function () use (&$count) {
		$count++;
	};
	$dbl = new Doubler();
	$s = 0;
	for ($i = 0; $i < $n; $i++) {
		$a->add($i);
		$bound(1);
		$s += Acc::twice($i) + $a->one() + $add3($i) + (fn($y) => $y - 1)($i) + $dbl($i);
		$bump();
	}
	return [$a->get(), $s, $count];
}

function e_methods(int $n): array
{
	return [sum_range($n) + $n, 6 * sum_range($n) + 3 * $n, $n];
}

function t_strings(int $n): array
{
	$length = $hits = $appended = 0;
	$buf = '';
	for ($i = 0; $i < $n; $i++) {
		$s = (string)$i;
		$t = '<' . $s . '>';
		$u = substr($t, 1, -1);
		$v = sprintf('%s-%d', $u, $i % 10);
		$w = sprintf('%08d|%s', $i, $u);
		$x = "$s:ab";
		$buf .= $u;
		if (strlen($buf) > 4096) {
			$appended += strlen($buf);
			$buf = '';
		}
		$length += strlen($t) + strlen($v) + strlen($w) + strlen($x);
		$hits += strpos($w, '|') + strpos($t, '>') + strpos($t, $s);
		$hits += (int)str_starts_with($s, '1') + (int)str_ends_with($s, '7') + substr_count($x, 'a');
		$hits += count(explode('-', implode('-', [$s, $u, $s])));
		$hits += (int)str_contains(strtolower(strtoupper('x' . $s)), $s);
	}
	return [$length, $hits, $appended + strlen($buf)];
}

function e_strings(int $n): array
{
	$d = digits_sum($n);
	// t: D+2, v: D+2, w: max(8,D)+1+D, x: D+3
	$length = 4 * $d + 8 * $n + digits_sum($n, 8);
	$hits = digits_sum($n, 8) + $d + $n + $n + leading_one($n) + count_mod($n, 10, 7) + $n;
	$hits += 3 * $n + $n;
	return [$length, $hits, $d];
}

const CRC_VIRTBENCH = 3786051468; // zlib's crc32 of the bytes "virtbench"

function t_string_functions(int $n): array
{
	$len = $h = 0;
	for ($i = 0; $i < $n; $i++) {
		$s = (string)$i;
		$len += strlen(str_repeat($s, 3)) + strlen(str_pad($s, 10, '*', STR_PAD_LEFT));
		$len += strlen(trim("  $s \n")) + strlen(ucfirst('ab' . $s)) + strlen(str_replace('x', 'yy', "x$s"));
		$len += strlen(strtoupper(lcfirst("Ab$s"))) + strlen(substr_replace($s, '--', 0, 0));
		$h += (int)(strrev(strrev($s)) === $s) + ord(chr(65 + $i % 26)) - 65;
		$h += (int)(crc32('virtbench') === CRC_VIRTBENCH) + (int)(strcmp($s, $s) === 0);
		$h += (int)(strncmp('abcdef', 'abcxyz', 3) === 0) + strcasecmp('ABC', 'abc');
		$h += (int)(ltrim('000' . $s, '0') === ltrim($s, '0')) + strspn($s . 'x', '0123456789');
	}
	return [$len, $h];
}

function e_string_functions(int $n): array
{
	$d = digits_sum($n);
	// 3D + max(10,D) + D + 4 * (D+2)
	$len = 8 * $d + 8 * $n + digits_sum($n, 10);
	// 1 + i%26 + 1 + 1 + 1 + 0 + 1 + D
	return [$len, 5 * $n + sum_mod($n, 26) + $d];
}

function t_arrays(int $n): array
{
	$s = 0;
	$block = [];
	for ($i = 0; $i < $n; $i++) {
		$lst = [$i + 3, $i, $i + 2, $i + 1, $i + 4];
		$lst[] = $i + 5;
		sort($lst);
		$s += $lst[0] + $lst[5] + $lst[2];
		$mid = array_slice($lst, 1, 3);
		$s += $mid[0] + count($mid) + array_search($i + 4, $lst);
		$lst = array_reverse($lst);
		array_push($lst, 9, 8);
		$s += array_pop($lst) + array_shift($lst) + count($lst);
		$s += (int)in_array($i + 2, $lst, true);
		$block[] = ($i * 37) % 256;
		if (count($block) === 256) {
			sort($block);
			$s += $block[17] + $block[255];
			$block = [];
		}
	}
	return [$s + count($block)];
}

function e_arrays(int $n): array
{
	// per iteration: (3i+7) + (i+1 + 3 + 4) + (8 + i+5 + 6) + 1; a full block
	// of 256 holds (i*37) % 256, a permutation of 0..255 (37 is odd)
	return [5 * sum_range($n) + 35 * $n + intdiv($n, 256) * (17 + 255) + $n % 256];
}

function t_hashes(int $n): array
{
	$keys = [];
	for ($k = 0; $k < 1024; $k++) {
		$keys[] = "key$k";
	}
	$d = [];
	$named = [];
	$s = 0;
	for ($i = 0; $i < $n; $i++) {
		$k = $i & 1023;
		$d[$k] = $i;
		$named[$keys[$k]] = $k;
		$s += $d[$k] + $named[$keys[$k]] + (int)array_key_exists($k, $d) + ($d[-1] ?? 0);
		$s += (int)isset($named['key0']) + ($named['nokey'] ?? 0);
		if (($i & 3) === 0) {
			unset($d[$k]);
		} elseif (($i & 3) === 1) {
			$s += $d[$k];
			unset($d[$k]);
			$d[$k] = $i;
		}
	}
	$sum = 0;
	foreach ($named as $key => $value) {
		$sum += $value;
	}
	return [$s + count($d) + count($named) + $sum];
}

function e_hashes(int $n): array
{
	$m = min($n, 1024); // keys seen; the last visit of key k deletes it if k%4 == 0
	$c = count_mod($n, 4, 1); // the re-inserts: i = 4j + 1
	return [sum_range($n) + sum_mod($n, 1024) + 2 * $n + 4 * sum_range($c) + $c
		+ ($m - intdiv($m + 3, 4)) + $m + sum_range($m)];
}

const VB_K = 3;
$vb_g = 6;

class Node
{
	const CK = 5;
	public static $sk = 4;
	public $a = 1;
	public $b = 2;
	public $c = 0;
	public $child = null;
}

function t_lookups(int $n): array
{
	global $vb_g;
	$o = new Node();
	$o->child = new Node();
	$local = 7;
	$name = 'local';
	$arr = ['x' => 8];
	$s = 0;
	for ($i = 0; $i < $n; $i++) {
		$o->c = $i;
		$s += $o->a + $o->b + Node::CK + Node::$sk + VB_K + $local + $o->c;
		$s += $o->child->a + $vb_g + $arr['x'] + $$name + $GLOBALS['vb_g'];
	}
	return [$s];
}

function e_lookups(int $n): array
{
	return [sum_range($n) + (1 + 2 + 5 + 4 + 3 + 7 + 1 + 6 + 8 + 7 + 6) * $n];
}

class BenchError extends Exception
{
}

function thrower($i)
{
	throw new BenchError('thrown', $i);
}

function t_exceptions(int $n): array
{
	$s = 0;
	for ($i = 0; $i < $n; $i++) {
		try {
			throw new Exception('x');
		} catch (Exception $e) {
			$s++;
		}
		try {
			thrower($i);
		} catch (BenchError $e) {
			$s += $e->getCode() & 7;
		}
		try {
			$s++;
		} catch (Exception $e) {
			$s -= 1000;
		} finally {
			$s++;
		}
		try {
			intdiv(1, 0);
		} catch (DivisionByZeroError $e) {
			$s++;
		}
		try {
			try {
				throw new LogicException('inner');
			} catch (LogicException $e) {
				throw new RuntimeException('outer', 0, $e);
			}
		} catch (RuntimeException $e) {
			$s += (int)($e->getPrevious() instanceof LogicException);
		}
	}
	return [$s];
}

function e_exceptions(int $n): array
{
	return [5 * $n + sum_mod($n, 8)];
}

function t_loops(int $n): array
{
	$s = $c0 = $c1 = $c2 = $mt = 0;
	$r5 = [0, 1, 2, 3, 4];
	for ($i = 0; $i < $n; $i++) {
		$j = 0;
		while ($j < 4) {
			$s += $j;
			$j++;
		}
		foreach ($r5 as $k) {
			if ($k === 3) {
				continue;
			}
			$s += $k;
		}
		foreach ($r5 as $k) {
			if ($k === 2) {
				break;
			}
			$s++;
		}
		$j = 0;
		do {
			$s++;
		} while (++$j < 3);
		switch ($i % 3) {
			case 0:
				$c0++;
				break;
			case 1:
				$c1++;
				break;
			default:
				$c2++;
		}
		$mt += match ($i % 4) {
			0 => 1,
			1 => 2,
			2 => 3,
			default => 4,
		};
	}
	return [$s, $c0, $c1, $c2, $mt];
}

function e_loops(int $n): array
{
	return [(6 + 7 + 2 + 3) * $n, count_mod($n, 3, 0), count_mod($n, 3, 1), count_mod($n, 3, 2),
		sum_mod($n, 4) + $n];
}

function t_isset_empty(int $n): array
{
	$arr = ['a' => 1, 'z' => 0, 'n' => null, 's' => ''];
	$o = new stdClass();
	$o->p = 1;
	$h = 0;
	for ($i = 0; $i < $n; $i++) {
		$v = ($i & 1) ? $i : null;
		$h += (int)isset($arr['a']) + (int)isset($arr['n']) + (int)isset($arr['missing']);
		$h += (int)empty($arr['z']) + (int)empty($arr['s']) + (int)empty($arr['a']);
		$h += (int)isset($o->p) + (int)empty($undefined) + (int)isset($i) + (int)is_null($arr['n']);
		$h += (int)empty($arr['missing']) + ($arr['missing'] ?? 2);
		$h += (int)isset($v) + (int)empty($i % 5);
	}
	return [$h];
}

function e_isset_empty(int $n): array
{
	return [10 * $n + count_mod($n, 2, 1) + count_mod($n, 5, 0)];
}

function t_regex(int $n): array
{
	$h = $len = 0;
	for ($i = 0; $i < $n; $i++) {
		$s = "item-$i: value=" . ($i % 100);
		if (preg_match('/^item-(\d+): value=(\d+)$/', $s, $m)) {
			$h += (int)$m[1] + (int)$m[2];
		}
		$h += preg_match_all('/\d/', $s);
		$len += strlen(preg_replace('/\d+/', '#', $s));
		$h += count(preg_split('/[-:=]/', $s)) + preg_match('/7$/', (string)$i);
	}
	return [$h, $len];
}

function e_regex(int $n): array
{
	// the digits of i % 100: one below 10, else two
	$small = intdiv($n, 100) * 10 + min($n % 100, 10);
	return [sum_range($n) + sum_mod($n, 100) + digits_sum($n) + 2 * $n - $small + 4 * $n
		+ count_mod($n, 10, 7), 15 * $n];
}

function t_casting(int $n): array
{
	$h = 0;
	for ($i = 0; $i < $n; $i++) {
		$h += (int)"$i" + (int)((string)$i . '.7') + (int)(float)$i + (int)(bool)$i;
		$h += strlen((string)($i + 0.5)) + intval('1A', 16) + (int)'12abc';
		$h += (int)(float)'1e3' + (int)(floatval('2.5') * 2) + (int)boolval('0') + count((array)$i);
		$v = '5';
		settype($v, 'integer');
		$h += $v + (int)is_int($v) + (int)is_numeric("$i");
	}
	return [$h];
}

function e_casting(int $n): array
{
	// 3i + (i != 0) + (D+2) + 26 + 12 + 1000 + 5 + 0 + 1 + 5 + 1 + 1
	return [3 * sum_range($n) + max($n - 1, 0) + digits_sum($n) + 1053 * $n];
}

const TESTS = ['arith_int', 'arith_float', 'calls', 'methods', 'strings', 'string_functions',
	'arrays', 'hashes', 'lookups', 'exceptions', 'loops', 'isset_empty', 'regex', 'casting'];

// ---- running, checking, reporting -------------------------------------------

function same(array $expected, $got): bool
{
	if (!is_array($got) || count($got) !== count($expected)) {
		return false;
	}
	foreach ($expected as $k => $e) {
		$g = $got[$k] ?? null;
		if (is_float($e)) {
			if (!is_float($g) || abs($g - $e) > 1e-9 * abs($e) + 1e-12) {
				return false;
			}
		} elseif ($g !== $e) {
			return false;
		}
	}
	return true;
}

function show($values): string
{
	return implode(' ', array_map(fn($v) => var_export($v, true), (array)$values));
}

/** What VB_BENCH_BREAK does to a test's result: its first value, off by 1. */
function corrupt(array $values): array
{
	$values[0] += 1;
	return $values;
}

function usage_error(string $msg): never
{
	fwrite(STDERR, "phpbench.php: $msg\n"
		. "usage: phpbench.php [--iterations N] [--rounds R] [--only TEST[,TEST]] [--list]\n");
	exit(2);
}

function positive(string $opt, string $text, int $limit): int
{
	if (!preg_match('/^[1-9][0-9]*$/D', $text)) {
		usage_error("$opt: '$text' is not a positive integer");
	}
	if (strlen($text) > 18 || (int)$text > $limit) {
		usage_error("$opt: $text is out of range (1..$limit)");
	}
	return (int)$text;
}

function parse_args(array $argv): array
{
	$opts = ['iterations' => DEFAULT_ITERATIONS, 'rounds' => DEFAULT_ROUNDS, 'only' => null,
		'list' => false];
	$args = array_slice($argv, 1);
	for ($i = 0; $i < count($args); $i++) {
		$arg = $args[$i];
		if ($arg === '-h' || $arg === '--help') {
			echo "usage: phpbench.php [--iterations N] [--rounds R] [--only TEST[,TEST]] [--list]\n";
			exit(0);
		}
		if ($arg === '--list') {
			$opts['list'] = true;
			continue;
		}
		if (!preg_match('/^--(iterations|rounds|only)(?:=(.*))?$/sD', $arg, $m)) {
			usage_error("unrecognized argument '$arg'");
		}
		$name = $m[1];
		if (isset($m[2])) {
			$value = $m[2];
		} elseif ($i + 1 < count($args)) {
			$value = $args[++$i];
		} else {
			usage_error("--$name: expected a value");
		}
		if ($name === 'only') {
			$names = explode(',', $value);
			foreach ($names as $t) {
				if ($t === '') {
					usage_error("--only: empty test name in '$value'");
				}
				if (!in_array($t, TESTS, true)) {
					usage_error("--only: unknown test '$t' (see --list)");
				}
			}
			if (count(array_unique($names)) !== count($names)) {
				usage_error("--only: a test named twice in '$value'");
			}
			$opts['only'] = $names;
		} else {
			$opts[$name] = positive("--$name", $value,
				$name === 'iterations' ? MAX_ITERATIONS : MAX_ROUNDS);
		}
	}
	$brk = getenv('VB_BENCH_BREAK');
	$opts['break'] = $brk === false ? '' : $brk;
	if ($opts['break'] !== '' && !in_array($opts['break'], TESTS, true)) {
		usage_error("VB_BENCH_BREAK: unknown test '{$opts['break']}'");
	}
	return $opts;
}

function main(array $argv): int
{
	$opts = parse_args($argv);
	if ($opts['list']) {
		echo implode('', array_map(fn($t) => "$t\n", TESTS));
		return 0;
	}
	$chosen = array_values(array_filter(TESTS,
		fn($t) => $opts['only'] === null || in_array($t, $opts['only'], true)));
	$n = $opts['iterations'];
	$expected = [];
	foreach ($chosen as $t) {
		$expected[$t] = ("e_$t")($n);
	}
	$best = [];
	for ($round = 0; $round < $opts['rounds']; $round++) {
		foreach ($chosen as $t) {
			$fn = "t_$t";
			gc_collect_cycles();
			gc_disable();
			$start = hrtime(true);
			$got = $fn($n);
			$elapsed = (hrtime(true) - $start) / 1e9;
			gc_enable();
			if ($t === $opts['break']) {
				$got = corrupt($got);
			}
			if (!same($expected[$t], $got)) {
				fwrite(STDERR, "error $t: expected " . show($expected[$t]) . ', got ' . show($got) . "\n");
				return 1;
			}
			$best[$t] = min($best[$t] ?? $elapsed, $elapsed);
		}
	}
	$out = '';
	$total = 0.0;
	foreach ($chosen as $t) {
		$out .= sprintf("test %s %.6f\n", $t, $best[$t]);
		$total += $best[$t];
	}
	echo $out, sprintf("total %.6f\n", $total);
	return 0;
}

try {
	exit(main($argv));
} catch (Throwable $e) {
	fwrite(STDERR, 'phpbench.php: ' . get_class($e) . ': ' . $e->getMessage()
		. ' at line ' . $e->getLine() . "\n");
	exit(1);
}
