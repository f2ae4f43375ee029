"""The endpoint's side of PSRP's secure strings (psrp.py) against MS-PSRP's
examples: the PUBLIC_KEY blob of 2.2.2.3 reads as a 2048-bit key with
e = 65537; a session key blob made for a key decrypts, with that key's
private half, to the session key (python3-cryptography on both sides,
checking the blob layout of 2.2.2.4); SecureStrings round-trip."""
import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psrp  # noqa: E402

SPEC_PUBLIC_KEY = (
    "BgIAAACkAABSU0ExAAgAAAEAAQBxLtiI7U4s5gkx4zzFaRyhCgTwSYWBdxx6MfjJMXcuLewnq7RvIo6yfgcN2s8FXr"
    "elHs8y34S0fdvM/fbSXjaacKOQoLVvOgyVf1x7EODpDADW2Tj9RIz52hcsVzNFfkfT4EhMvcJbDIqtEwIF6BmjHc5y"
    "NPsywTFD6QU50BIySeV7IT3qhjxihQEbMt/shf0DcFX07JIs37FPPZpesaviyG3RZjhQbfCbJ66vlea+1ocVYgqM7W98"
    "ZIeHlRT2XhrPSD+hwriUcfG3oOJIILpo2acpAxcz8KCEOkpocH4wA/IgF+9UcaeanOkBXqK3xc9LPtVuQ7otZYa+zvrT"
    "ZXe4")


class SecureStringTest(unittest.TestCase):
    def test_spec_public_key(self):
        pub = psrp.public_key_from_blob(base64.b64decode(SPEC_PUBLIC_KEY))
        nums = pub.public_numbers()
        self.assertEqual((nums.e, nums.n.bit_length()), (65537, 2048))
        with self.assertRaises(psrp.ProtocolError):
            psrp.public_key_from_blob(b"\x07" + base64.b64decode(SPEC_PUBLIC_KEY)[1:])

    def test_session_key_blob(self):
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        priv = rsa.generate_private_key(65537, 2048)
        n = priv.public_key().public_numbers().n
        blob = b"\x06\x02\x00\x00\x00\xa4\x00\x00RSA1" + (2048).to_bytes(4, "little") + \
            (65537).to_bytes(4, "little") + n.to_bytes(256, "little")
        key = os.urandom(32)
        out = psrp.session_key_blob(psrp.public_key_from_blob(blob), key)
        self.assertEqual(out[:12], bytes.fromhex("010200001066000000a40000"))
        self.assertEqual(priv.decrypt(out[12:][::-1], padding.PKCS1v15()), key)

    def test_secure_string_round_trip(self):
        key = bytes(range(32))
        self.assertEqual(psrp.ss_encrypt(key, "Secret_\u00e9\u20ac"),
                         "2sQETLUjjdd8DgsqSN0d3YhLslS/lU3i0hJw3Xr9t/w=")  # as secure_test.c
        self.assertEqual(psrp.ss_decrypt(key, psrp.ss_encrypt(key, "")), "")
        with self.assertRaises(psrp.ProtocolError):
            psrp.ss_decrypt(None, "AAAA")


if __name__ == "__main__":
    unittest.main()
