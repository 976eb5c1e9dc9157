package ablate.trainer.tensorboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The bytes of the format, checked against values found without ablate's code: the CRC32C check
 * value of the iSCSI standard (RFC 3720), masked CRCs computed by a bit-by-bit CRC32C in Python,
 * and protos assembled by hand from the wire-format rules.
 */
class EventFileTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void crc32cOfTheStandardCheckStringIsE3069283() {
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(crc.getValue()).isEqualTo(0xE3069283L);
    }

    @Test
    void theMaskRotatesRightBy15AndAddsTheConstant() {
        assertThat(EventFile.mask(0)).isEqualTo(0xa282ead8);
        assertThat(EventFile.mask(0xE3069283)).isEqualTo(0xc78ab0e5); // python: ((c >> 15 | c << 17) & 0xffffffff) + 0xa282ead8, mod 2^32
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(EventFile.maskedCrc32c(check, 0, check.length)).isEqualTo(0xc78ab0e5);
    }

    @Test
    void theLengthOfA24ByteRecordCarriesItsMaskedCrc() {
        byte[] record = EventFile.record(new byte[24]);
        ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(record).hasSize(8 + 4 + 24 + 4);
        assertThat(Arrays.copyOfRange(record, 0, 8)).isEqualTo(HEX.parseHex("1800000000000000"));
        assertThat(b.getInt(8)).as("masked CRC32C of the 8 length bytes, from an independent CRC32C").isEqualTo(0x224b7fa3);
        assertThat(b.getInt(36)).isEqualTo(EventFile.maskedCrc32c(new byte[24], 0, 24));
    }

    @Test
    void theFileVersionEventIsWallTimeAndVersionString() {
        // field 1 (double, wire type 1): 1.5; field 3 (string, wire type 2): "brain.Event:2"
        assertThat(EventFile.versionEvent(1.5)).isEqualTo(HEX.parseHex("09000000000000f83f" + "1a0d" + hex("brain.Event:2")));
    }

    @Test
    void aScalarEventNestsItsValuesInASummary() {
        byte[] value = HEX.parseHex("0a0161" + "150000803f"); // Value { tag = "a"; simple_value = 1.0f }
        byte[] summary = HEX.parseHex("0a08" + HEX.formatHex(value)); // Summary { value = <8 bytes> }
        String expected = "09000000000000f83f" // wall_time = 1.5
                + "10ac02" // step = 300, a varint
                + "2a0a" + HEX.formatHex(summary); // summary, 10 bytes
        assertThat(HEX.formatHex(EventFile.scalarEvent(300, 1.5, List.of(new Scalar("a", 1.0f))))).isEqualTo(expected);
    }

    private static String hex(String s) {
        return HEX.formatHex(s.getBytes(StandardCharsets.UTF_8));
    }
}
