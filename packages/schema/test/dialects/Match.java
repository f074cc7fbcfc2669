// Reads "P <base64 UTF-8>" (patterns) and "S <base64 UTF-8>" (samples) lines
// on stdin and prints, per pattern, one '1' or '0' per sample: whether
// java.util.regex finds the pattern in the sample (Matcher.find, as Java
// JSON Schema validators run `pattern`). A pattern that does not compile is
// printed as "ERROR <message>". Run as a single-file program: java Match.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public class Match {
  public static void main(String[] args) throws Exception {
    List<String> patterns = new ArrayList<>();
    List<String> samples = new ArrayList<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String text = new String(Base64.getDecoder().decode(line.substring(2)), StandardCharsets.UTF_8);
      (line.startsWith("P ") ? patterns : samples).add(text);
    }
    StringBuilder out = new StringBuilder();
    for (String p : patterns) {
      Pattern re;
      try {
        re = Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        out.append("ERROR ").append(e.getDescription()).append('\n');
        continue;
      }
      for (String s : samples) out.append(re.matcher(s).find() ? '1' : '0');
      out.append('\n');
    }
    System.out.print(out);
  }
}
