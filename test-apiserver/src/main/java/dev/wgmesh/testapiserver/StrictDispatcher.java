package dev.wgmesh.testapiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.testapiserver.crd.BuiltInObjectRules;
import dev.wgmesh.testapiserver.crd.FieldError;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The request path of the test API server: authenticate (bearer tokens of known identities),
 * authorize (RBAC, {@link Rbac}), then hand the request to fabric8's CRUD dispatcher for storage
 * and watches, except for what that mock gets wrong:
 *
 * <ul>
 *   <li>PATCH is applied here with the semantics of kube-apiserver ({@link Patches}) and stored as
 *       an update of the result, on the same path: the CRUD dispatcher then applies the status
 *       subresource rules (a write of the object keeps the stored status, a status write keeps all
 *       else) and the resourceVersion precondition (409 when a patch sets another one);
 *   <li>strategic merge patches of custom resources are refused (415), as kube-apiserver does;
 *       server-side apply is refused too (415), because this server cannot judge it: wgmesh does
 *       not use it;
 *   <li>creates, updates and patches of custom resources and their status are pruned and validated
 *       against the CRD's schema and CEL rules ({@link CustomResources}): 422 Invalid when they fail;
 *   <li>creates, updates and (JSON and merge) patches of built-in objects have their metadata
 *       checked as kube-apiserver does, the name by its kind's rule (a Service's an RFC 1035 label),
 *       and labels ({@link BuiltInObjectRules}): 422 Invalid when it fails;
 *   <li>SelfSubjectRulesReviews and SelfSubjectAccessReviews are answered from the RBAC rules.
 * </ul>
 *
 * Every refusal is recorded (see {@link StrictApiServer#rejections()}), so that a test fails on a
 * request its component's RBAC does not allow even when the component logs and carries on.
 */
final class StrictDispatcher extends Dispatcher {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final IndexedCrudStore store = new IndexedCrudStore();
  private final CustomResources customResources = new CustomResources();
  private final List<Rejection> rejections = new CopyOnWriteArrayList<>();
  /** Patches read, apply and write back; no other write may come in between (a real server retries instead). */
  private final ReentrantLock writes = new ReentrantLock();
  private volatile Rbac rbac;
  /** Paths answered 503 while the predicate holds (a test's outage of one resource). */
  private volatile java.util.function.Predicate<String> unavailable = p -> false;
  /** Every resource path requested, in order. */
  private final java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final StrictApiServer.RequestObserver observer;

  StrictDispatcher(Rbac rbac, StrictApiServer.RequestObserver observer) {
    this.rbac = rbac;
    this.observer = observer;
  }

  void unavailable(java.util.function.Predicate<String> paths) {
    this.unavailable = paths;
  }

  java.util.Queue<String> seen() {
    return seen;
  }

  List<Rejection> rejections() {
    return rejections;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    observer.request(request.getMethod(), request.getPath(), request.getBody() == null ? 0 : request.getBody().size());
    MockResponse response = answer(request);
    observer.answered(request.getMethod(), request.getPath(), response.code());
    return response;
  }

  private MockResponse answer(RecordedRequest request) {
    String auth = request.getHeader("Authorization");
    Identity who = auth != null && auth.startsWith("Bearer ") ? Identity.fromToken(auth.substring(7).trim()) : null;
    if (who == null) {
      return refuse(401, "Unauthorized", "Unauthorized", "system:anonymous", request);
    }
    RequestAttributes attributes = RequestAttributes.parse(request.getMethod(), request.getPath());
    if (!rbac.allows(who, attributes)) {
      return refuse(403, "Forbidden", Rbac.denial(who, attributes), who.user(), request);
    }
    if (attributes.isResourceRequest() && attributes.group().equals("authorization.k8s.io") && attributes.verb().equals("create")) {
      if (attributes.resource().equals("selfsubjectrulesreviews")) {
        return rulesReview(who, request);
      }
      if (attributes.resource().equals("selfsubjectaccessreviews")) {
        return accessReview(who, request);
      }
    }
    seen.add(request.getPath());
    String crd = isCustom(attributes.group()) && attributes.isResourceRequest() ? crd(attributes) : null;
    if (isCustom(attributes.group()) && attributes.isResourceRequest() && crd == null) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    if (unavailable.test(request.getPath())) {
      return status(503, "ServiceUnavailable", "the server is currently unable to handle the request");
    }
    if (request.getMethod().equalsIgnoreCase("GET")) {
      return store.dispatch(request);
    }
    if (request.getMethod().equalsIgnoreCase("PATCH")) {
      return patch(who, attributes, request, crd);
    }
    if (validated(attributes)) {
      return write(who, attributes, request, crd);
    }
    if (isBuiltInWrite(attributes)) {
      MockResponse refusal = builtInRefusal(who, attributes, request);
      if (refusal != null) {
        return refusal;
      }
    }
    return locked(request);
  }

  /** A create or update of a built-in object (not its status): its metadata is checked ({@link BuiltInObjectRules}). */
  private static boolean isBuiltInWrite(RequestAttributes a) {
    return a.isResourceRequest() && !isCustom(a.group()) && a.subresource() == null
        && (a.verb().equals("create") || a.verb().equals("update"));
  }

  /** The 422 kube-apiserver answers a built-in object whose metadata is invalid with (recorded), or null. */
  private MockResponse builtInRefusal(Identity who, RequestAttributes a, RecordedRequest request) {
    JsonNode body;
    try {
      // getBytes, not getUtf8Body: the store reads the body after this.
      body = request.getBody() == null ? null : JSON.readTree(request.getBody().getBytes());
    } catch (IOException e) {
      return refuse(400, "BadRequest", "the request body is not JSON: " + e.getMessage(), who.user(), request);
    }
    return builtInRefusal(who, a, request, body);
  }

  private MockResponse builtInRefusal(Identity who, RequestAttributes a, RecordedRequest request, JsonNode body) {
    if (body == null || !body.isObject()) {
      return null;
    }
    List<FieldError> errors = BuiltInObjectRules.errors(a.group(), a.resource(), body);
    if (errors.isEmpty()) {
      return null;
    }
    String message = BuiltInObjectRules.message(a.group(), a.resource(), body, errors);
    record(422, who.user(), request, message);
    return new MockResponse().setResponseCode(422).setHeader("Content-Type", "application/json")
        .setBody(CustomResources.invalid(body.path("metadata").path("name").asText(""), a.group(),
            BuiltInObjectRules.kind(a.resource(), body), message, errors).toString());
  }

  /** A group that only a CustomResourceDefinition can serve. */
  private static boolean isCustom(String group) {
    return group != null && group.contains(".") && !group.endsWith(".k8s.io");
  }

  /**
   * The CRD of the request's resource as JSON, null when none is installed (a real server then
   * answers 404). The stored String itself: its validator is found by it ({@link CustomResources})
   * without hashing and comparing some 50 KB of text per request.
   */
  private String crd(RequestAttributes a) {
    return store.stored("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + a.resource() + "." + a.group());
  }

  /** @param crd the resource's CRD as JSON, null for a built-in resource */
  private MockResponse patch(Identity who, RequestAttributes attributes, RecordedRequest request, String crd) {
    String type = request.getHeader("Content-Type");
    String mediaType = type == null ? "" : type.split(";")[0].trim();
    boolean custom = isCustom(attributes.group());
    switch (mediaType) {
      case "application/json-patch+json", "application/merge-patch+json" -> { }
      case "application/strategic-merge-patch+json" -> {
        if (custom) {
          return refuse(415, "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, "
                  + "application/merge-patch+json, application/apply-patch+yaml", who.user(), request);
        }
        return locked(request); // built-in kinds: the mock's own merge
      }
      case "application/apply-patch+yaml", "application/apply-patch+cbor" -> {
        return refuse(415, "UnsupportedMediaType", "server-side apply is not implemented by the test API server", who.user(), request);
      }
      default -> {
        return refuse(415, "UnsupportedMediaType", "unknown patch type " + mediaType, who.user(), request);
      }
    }
    writes.lock();
    try {
      String objectPath = objectPath(request.getPath(), attributes);
      MockResponse current = store.handleGet(objectPath);
      if (current.code() != 200) {
        return current;
      }
      JsonNode stored = JSON.readTree(current.getBody().readUtf8());
      JsonNode patch = JSON.readTree(request.getUtf8Body());
      JsonNode patched;
      try {
        patched = mediaType.equals("application/json-patch+json") ? Patches.applyJsonPatch(stored, patch)
            : Patches.applyMergePatch(stored, patch);
      } catch (Patches.PatchException e) {
        return refuse(422, "Invalid", "the server rejected our request due to an error in our request: " + e.getMessage(), who.user(),
            request);
      }
      if (!patched.isObject()) {
        return refuse(422, "Invalid", "the patched object is not a JSON object", who.user(), request);
      }
      Admitted admitted = admit(who, attributes, request, crd, patched, stored);
      if (admitted.refusal() != null) {
        return admitted.refusal();
      }
      patched = admitted.body();
      String storePath = request.getPath().split("\\?")[0];
      MockResponse response = store.handleUpdate(rewritten(HttpMethod.PUT, storePath, patched));
      if (response.code() == 422 || response.code() == 400) {
        record(response.code(), who.user(), request, response.getBody() == null ? "" : response.getBody().readUtf8());
      }
      admitted.warnings().forEach(w -> response.addHeader("Warning", w));
      return response;
    } catch (IOException e) {
      return refuse(400, "BadRequest", "the request body is not JSON: " + e.getMessage(), who.user(), request);
    } finally {
      writes.unlock();
    }
  }

  // --- custom resources checked against their CRD (CustomResources)

  /** A create or update of a custom resource or its status (validated against its CRD), or of a Secret (its stringData merged). */
  private static boolean validated(RequestAttributes a) {
    return (isCustom(a.group()) || isSecret(a)) && a.isResourceRequest() && (a.verb().equals("create") || a.verb().equals("update"))
        && (a.subresource() == null || a.subresource().equals("status"));
  }

  private static boolean isSecret(RequestAttributes a) {
    return a.isResourceRequest() && a.group().isEmpty() && a.resource().equals("secrets");
  }

  /**
   * A Secret as kube-apiserver stores it: {@code stringData} is a write-only convenience, merged into
   * {@code data} (base64, over any key of the same name) and never stored or returned.
   */
  static JsonNode stringDataMerged(JsonNode secret) {
    JsonNode strings = secret.get("stringData");
    if (!(secret instanceof ObjectNode object) || strings == null) {
      return secret;
    }
    ObjectNode data = object.has("data") && object.get("data").isObject() ? (ObjectNode) object.get("data") : object.putObject("data");
    strings.fields().forEachRemaining(e -> data.put(e.getKey(),
        java.util.Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8))));
    object.remove("stringData");
    return object;
  }

  /** What {@link #admit} decided: the body to store and the warnings to send, or the refusal to answer with. */
  private record Admitted(JsonNode body, List<String> warnings, MockResponse refusal) {}

  /** POST or PUT of a custom resource: pruned and validated, then stored (a refusal is recorded). */
  private MockResponse write(Identity who, RequestAttributes attributes, RecordedRequest request, String crd) {
    writes.lock();
    try {
      JsonNode stored = null;
      if (attributes.verb().equals("update")) {
        MockResponse current = store.handleGet(objectPath(request.getPath(), attributes));
        if (current.code() != 200) {
          return store.dispatch(request); // the store's own answer: 404
        }
        stored = JSON.readTree(current.getBody().readUtf8());
      }
      Admitted admitted = admit(who, attributes, request, crd, JSON.readTree(request.getUtf8Body()), stored);
      if (admitted.refusal() != null) {
        return admitted.refusal();
      }
      String path = request.getPath().split("\\?")[0];
      MockResponse response = store.dispatch(
          rewritten(HttpMethod.valueOf(request.getMethod().toUpperCase(java.util.Locale.ROOT)), path, admitted.body()));
      admitted.warnings().forEach(w -> response.addHeader("Warning", w));
      return response;
    } catch (IOException e) {
      return refuse(400, "BadRequest", "the request body is not JSON: " + e.getMessage(), who.user(), request);
    } finally {
      writes.unlock();
    }
  }

  /**
   * Checks {@code body} (the patched object, for a patch) against the resource's CRD (null for a
   * built-in resource); stored is null on a create.
   */
  private Admitted admit(Identity who, RequestAttributes a, RecordedRequest request, String crd, JsonNode body, JsonNode stored) {
    if (crd == null && a.subresource() == null) {
      MockResponse refusal = builtInRefusal(who, a, request, body);
      if (refusal != null) {
        return new Admitted(null, List.of(), refusal);
      }
    }
    if (isSecret(a)) {
      return new Admitted(stringDataMerged(body), List.of(), null);
    }
    if (crd == null) {
      return new Admitted(body, List.of(), null);
    }
    String[] pathAndQuery = request.getPath().split("\\?", 2);
    CustomResources.Admission admission = customResources.admit(crd, pathAndQuery.length > 1 ? pathAndQuery[1] : "",
        "status".equals(a.subresource()), body, stored);
    if (admission.refused()) {
      record(admission.code(), who.user(), request, admission.message());
      return new Admitted(null, List.of(), new MockResponse().setResponseCode(admission.code())
          .setHeader("Content-Type", "application/json").setBody(admission.refusal().toString()));
    }
    return new Admitted(admission.body(), admission.warnings(), null);
  }

  /** A write as the store receives it after this server changed its body (a patch applied, unknown fields pruned). */
  private static RecordedRequest rewritten(HttpMethod method, String path, JsonNode body) throws IOException {
    return new RecordedRequest(method.name() + " " + path + " HTTP/1.1", method, path,
        Headers.builder().add("Content-Type", "application/json").build(),
        new Buffer(JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8)));
  }

  private MockResponse locked(RecordedRequest request) {
    writes.lock();
    try {
      return store.dispatch(request);
    } finally {
      writes.unlock();
    }
  }

  /** The object's own path: without the subresource and the query. */
  private static String objectPath(String path, RequestAttributes attributes) {
    String p = path.split("\\?")[0];
    if (attributes.subresource() != null) {
      p = p.substring(0, p.length() - attributes.subresource().length() - 1);
    }
    return p;
  }

  private MockResponse rulesReview(Identity who, RecordedRequest request) {
    String namespace = null;
    try {
      JsonNode body = JSON.readTree(request.getUtf8Body());
      namespace = body.path("spec").path("namespace").asText(null);
    } catch (IOException e) {
      return refuse(400, "BadRequest", "the request body is not JSON", who.user(), request);
    }
    ArrayNode resourceRules = NODES.arrayNode();
    ArrayNode nonResourceRules = NODES.arrayNode();
    for (Rbac.Rule rule : rbac.rulesFor(who, namespace)) {
      if (!rule.nonResourceURLs().isEmpty()) {
        ObjectNode r = nonResourceRules.addObject();
        r.set("verbs", strings(rule.verbs()));
        r.set("nonResourceURLs", strings(rule.nonResourceURLs()));
      } else {
        ObjectNode r = resourceRules.addObject();
        r.set("verbs", strings(rule.verbs()));
        r.set("apiGroups", strings(rule.apiGroups()));
        r.set("resources", strings(rule.resources()));
        if (!rule.resourceNames().isEmpty()) {
          r.set("resourceNames", strings(rule.resourceNames()));
        }
      }
    }
    ObjectNode review = NODES.objectNode();
    review.put("apiVersion", "authorization.k8s.io/v1");
    review.put("kind", "SelfSubjectRulesReview");
    review.putObject("metadata");
    review.putObject("spec").put("namespace", namespace);
    ObjectNode status = review.putObject("status");
    status.set("resourceRules", resourceRules);
    status.set("nonResourceRules", nonResourceRules);
    status.put("incomplete", false);
    return new MockResponse().setResponseCode(201).setBody(review.toString());
  }

  private MockResponse accessReview(Identity who, RecordedRequest request) {
    try {
      ObjectNode body = (ObjectNode) JSON.readTree(request.getUtf8Body());
      JsonNode ra = body.path("spec").path("resourceAttributes");
      RequestAttributes asked = new RequestAttributes(ra.path("verb").asText(), ra.path("group").asText(""),
          ra.path("version").asText(""), ra.path("namespace").asText(null), ra.path("resource").asText(),
          ra.path("subresource").asText("").isEmpty() ? null : ra.path("subresource").asText(), ra.path("name").asText(null), "");
      body.putObject("status").put("allowed", rbac.allows(who, asked));
      return new MockResponse().setResponseCode(201).setBody(body.toString());
    } catch (IOException | ClassCastException e) {
      return refuse(400, "BadRequest", "the request body is not a SelfSubjectAccessReview", who.user(), request);
    }
  }

  /** Refuses the request with a Status object, and records the refusal. */
  private MockResponse refuse(int code, String reason, String message, String user, RecordedRequest request) {
    record(code, user, request, message);
    return status(code, reason, message);
  }

  /** A Status object as kube-apiserver answers with one. */
  private static MockResponse status(int code, String reason, String message) {
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
        .setBody(CustomResources.status(code, reason, message, null).toString());
  }

  private void record(int code, String user, RecordedRequest request, String message) {
    rejections.add(new Rejection(code, user, request.getMethod(), request.getPath(), message));
  }

  private static ArrayNode strings(java.util.Collection<String> values) {
    ArrayNode array = NODES.arrayNode();
    values.stream().sorted().forEach(array::add);
    return array;
  }
}
