/* The fuzz targets link only the mbedTLS files core/ needs; psa_util.c
 * (which md.c needs for its error codes) also wraps PSA's random source,
 * which nothing here calls. This stands in for it. */
#include "psa/crypto.h"

psa_status_t psa_generate_random(uint8_t *output, size_t output_size)
{
	(void)output, (void)output_size;
	return PSA_ERROR_NOT_SUPPORTED;
}
