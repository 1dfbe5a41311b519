package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRuleBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generated CRDs pass the checks kube-apiserver makes before it accepts a CRD: a real v1.36
 * server refused one with a reason (FieldValueTooLong) that no test had checked.
 */
class ApiServerCrdRulesTest {
  @Test
  void everyGeneratedCrdIsAcceptable() {
    for (String file : Crds.FILES) {
      CustomResourceDefinition crd = Crds.generated(file);
      assertEquals(List.of(), ApiServerCrdRules.problems(crd), file);
    }
  }

  @Test
  void theCheckFindsWhatAnApiServerRefuses() {
    CustomResourceDefinition crd = Crds.generated(Crds.MESHES);
    Crds.rootSchema(crd).getXKubernetesValidations().get(0).setReason("FieldValueTooLong");
    Crds.rootSchema(crd).getProperties().get("spec").setType(null);
    Crds.rootSchema(crd).getProperties().get("spec").setUniqueItems(true);
    List<String> problems = ApiServerCrdRules.problems(crd);
    assertTrue(problems.stream().anyMatch(p -> p.contains("reason FieldValueTooLong")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("spec: no type")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("uniqueItems")), problems.toString());
    assertEquals(List.of(), ApiServerCrdRules.rule("x", new ValidationRuleBuilder().withRule("true").withReason("FieldValueForbidden").build()));
  }
}
