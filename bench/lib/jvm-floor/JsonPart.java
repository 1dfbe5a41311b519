import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;

/** Probe's Jackson part, in a class of its own so that Probe without "json" never loads Jackson. */
public final class JsonPart {
  static volatile Object keep;

  public static String run(byte[] body) throws Exception {
    ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).setSerializationInclusion(JsonInclude.Include.NON_NULL);
    JsonNode tree = json.readTree(body);
    keep = json;
    return new String(json.writeValueAsBytes(Map.of("read", tree)));
  }
}
