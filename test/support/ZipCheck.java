import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a zip the way Android's updater does: java.util.zip.ZipInputStream over the LOCAL
 * headers, in order. Prints one line per entry (method, size, crc, name) and fails on any
 * entry it cannot read or whose data does not match its CRC and size.
 */
public class ZipCheck {
  public static void main(String[] args) throws Exception {
    int count = 0;
    try (InputStream file = new BufferedInputStream(new FileInputStream(args[0]));
         ZipInputStream zip = new ZipInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        CRC32 crc = new CRC32();
        long size = 0;
        int read;
        while ((read = zip.read(buffer)) != -1) {
          crc.update(buffer, 0, read);
          size += read;
        }
        if (entry.getCrc() != -1 && entry.getCrc() != crc.getValue()) {
          throw new IllegalStateException("CRC mismatch for " + entry.getName());
        }
        if (entry.getSize() != -1 && entry.getSize() != size) {
          throw new IllegalStateException("size mismatch for " + entry.getName());
        }
        System.out.println(entry.getMethod() + " " + size + " " + Long.toHexString(crc.getValue()) + " " + entry.getName());
        count++;
      }
    }
    System.out.println("entries " + count);
  }
}
