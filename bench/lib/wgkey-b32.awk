# Converts WireGuard public keys (base64, one per line) to their DNS-SD label: the lower-case
# RFC 4648 base32 of the 32 key bytes, 56 characters ending in "====", as wgsd and wgmesh name
# peers. One awk process instead of three processes per key keeps 1000s of peers fast.
#
#   awk -f wgkey-b32.awk keys.txt      prints one label per input line, in order.
BEGIN {
  b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  b32 = "abcdefghijklmnopqrstuvwxyz234567"
  for (i = 0; i < 64; i++) {
    v = i; bits = ""
    for (j = 0; j < 6; j++) { bits = (v % 2) bits; v = int(v / 2) }
    sixbits[substr(b64, i + 1, 1)] = bits
  }
  for (i = 0; i < 32; i++) {
    v = i; bits = ""
    for (j = 0; j < 5; j++) { bits = (v % 2) bits; v = int(v / 2) }
    fivebits[bits] = substr(b32, i + 1, 1)
  }
}
{
  key = $1
  if (length(key) != 44 || substr(key, 44) != "=") {
    printf "wgkey-b32.awk: line %d is not a base64 WireGuard key\n", NR > "/dev/stderr"
    exit 1
  }
  # 43 base64 characters carry 258 bits: the 256 key bits, then 2 zero bits.
  bits = ""
  for (i = 1; i <= 43; i++) {
    c = substr(key, i, 1)
    if (!(c in sixbits)) {
      printf "wgkey-b32.awk: line %d has a character outside base64\n", NR > "/dev/stderr"
      exit 1
    }
    bits = bits sixbits[c]
  }
  # 52 base32 characters take 260 bits: the 256 key bits and 4 zero padding bits.
  bits = substr(bits, 1, 256) "0000"
  label = ""
  for (i = 1; i <= 260; i += 5) label = label fivebits[substr(bits, i, 5)]
  print label "===="
}
