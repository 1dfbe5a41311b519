package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every CEL expression of the rendered ValidatingAdmissionPolicy compiles with cel-java in the
 * variables the API server gives admission policies, and has the type the API server requires:
 * matchConditions and validations bool, messageExpression string. object, oldObject, request,
 * params, namespaceObject and authorizer are dyn (their fields are not type-checked here; see
 * AdmissionPolicyTest for the fields the policy reads); variables is an object with one field per
 * variable of the policy, typed by that variable's expression, each variable seeing only the ones
 * before it, so a misspelt variables.x does not compile.
 *
 * <p>The environment is CEL's standard library and macros with the extensions Kubernetes enables
 * (strings, encoders, math, sets, cel.bind, optional types); Kubernetes' own libraries (IP/CIDR,
 * quantity, URL, authz, ...) are not declared, so a policy that starts to use one fails here until
 * it is declared (test-apiserver's KubeCel has the CRD rules' declarations). This test only compiles the
 * expressions; AdmissionPolicyTest runs them in this environment ({@link #compile} and
 * {@link #RUNTIME}).
 */
class AdmissionPolicyCelTest {
  private static final CelOptions OPTIONS = CelOptions.current().build();
  private static final List<String> DYN_VARIABLES = List.of("object", "oldObject", "request", "params", "namespaceObject", "authorizer");
  /** Runs what {@link #compile} compiled: the standard library with the same extensions. */
  static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .setOptions(OPTIONS)
      .addLibraries(CelExtensions.strings(), CelExtensions.encoders(OPTIONS), CelExtensions.math(OPTIONS),
          CelExtensions.sets(OPTIONS), CelExtensions.optional())
      .build();

  @ParameterizedTest
  @EnumSource(value = Scenario.class, names = "TUNED", mode = EnumSource.Mode.EXCLUDE)
  void everyExpressionCompilesWithTheRightType(Scenario scenario) {
    ValidatingAdmissionPolicy policy = AdmissionPolicyTest.policy(scenario);
    List<String> problems = problems(policy);
    assertEquals(List.of(), problems, "the rendered policy " + policy.getMetadata().getName() + " (" + scenario + "):\n  "
        + String.join("\n  ", problems));
    assertFalse(policy.getSpec().getValidations().isEmpty());
  }

  @Test
  void reportsWhatDoesNotCompileOrHasTheWrongType() {
    ValidatingAdmissionPolicy policy = AdmissionPolicyTest.policy(Scenario.DEFAULTS);
    ValidatingAdmissionPolicy broken = new io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBuilder(policy)
        .editSpec()
        .addToMatchConditions(new MatchCondition("'wgmesh'", "not-bool"))
        .addToVariables(new Variable("request.userInfo.username.size()", "len"))
        .addToValidations(new Validation("variables.nodeNam != ''", null, null, null))
        .addToValidations(new Validation("isNodeName(variables.nodeName)", null, null, null))
        .addToValidations(new Validation("variables.len > 0", null, "variables.len", null))
        .endSpec()
        .build();
    List<String> problems = problems(broken);
    assertOne(problems, "matchConditions[not-bool]: has type string, not bool");
    assertOne(problems, "undefined field 'nodeNam'");
    assertOne(problems, "undeclared reference to 'isNodeName'");
    assertOne(problems, "messageExpression: has type int, not string");
    assertEquals(4, problems.size(), String.join("\n", problems));
  }

  /** The problems of the policy's expressions, one line each, naming the field. */
  static List<String> problems(ValidatingAdmissionPolicy policy) {
    List<String> problems = new ArrayList<>();
    Map<String, CelType> variables = new LinkedHashMap<>();
    for (Variable v : policy.getSpec().getVariables() == null ? List.<Variable>of() : policy.getSpec().getVariables()) {
      Compiled c = compile(v.getExpression(), variables);
      if (c.error != null) {
        problems.add("variables[" + v.getName() + "]: " + c.error);
        variables.put(v.getName(), SimpleType.DYN);
      } else {
        variables.put(v.getName(), c.ast.getResultType());
      }
    }
    for (MatchCondition m : policy.getSpec().getMatchConditions() == null ? List.<MatchCondition>of() : policy.getSpec().getMatchConditions()) {
      check(problems, "matchConditions[" + m.getName() + "]", m.getExpression(), variables, SimpleType.BOOL);
    }
    List<Validation> validations = policy.getSpec().getValidations() == null ? List.of() : policy.getSpec().getValidations();
    for (int i = 0; i < validations.size(); i++) {
      Validation v = validations.get(i);
      check(problems, "validations[" + i + "]", v.getExpression(), variables, SimpleType.BOOL);
      if (v.getMessageExpression() != null) {
        check(problems, "validations[" + i + "].messageExpression", v.getMessageExpression(), variables, SimpleType.STRING);
      }
    }
    return problems;
  }

  private static void check(List<String> problems, String where, String expression, Map<String, CelType> variables, CelType want) {
    Compiled c = compile(expression, variables);
    if (c.error != null) {
      problems.add(where + ": " + c.error);
    } else if (!c.ast.getResultType().equals(want) && !c.ast.getResultType().equals(SimpleType.DYN)) {
      problems.add(where + ": has type " + c.ast.getResultType().name() + ", not " + want.name() + ": " + expression);
    }
  }

  /** The checked expression, or why it does not compile. */
  record Compiled(CelAbstractSyntaxTree ast, String error) {}

  /**
   * Compiles one expression: the dyn variables, and {@code variables} with one field per entry of
   * {@code variables}, of that type.
   */
  static Compiled compile(String expression, Map<String, CelType> variables) {
    Map<String, CelType> fields = new LinkedHashMap<>(variables);
    StructType variablesType = StructType.create("kubernetes.admission.Variables", ImmutableSet.copyOf(fields.keySet()),
        f -> Optional.ofNullable(fields.get(f)));
    CelTypeProvider types = new CelTypeProvider() {
      @Override
      public ImmutableList<CelType> types() {
        return ImmutableList.of(variablesType);
      }

      @Override
      public Optional<CelType> findType(String name) {
        return name.equals(variablesType.name()) ? Optional.of(variablesType) : Optional.empty();
      }
    };
    var builder = CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(OPTIONS)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addLibraries(CelExtensions.strings(), CelExtensions.encoders(OPTIONS), CelExtensions.math(OPTIONS),
            CelExtensions.sets(OPTIONS), CelExtensions.bindings(), CelExtensions.optional())
        .setTypeProvider(types)
        .addVar("variables", variablesType);
    DYN_VARIABLES.forEach(name -> builder.addVar(name, SimpleType.DYN));
    CelCompiler compiler = builder.build();
    CelValidationResult result = compiler.compile(expression);
    if (result.hasError()) {
      return new Compiled(null, "does not compile: " + expression + "\n" + result.getErrorString());
    }
    try {
      return new Compiled(result.getAst(), null);
    } catch (Exception e) {
      return new Compiled(null, e.toString());
    }
  }

  private static void assertOne(List<String> problems, String fragment) {
    long found = problems.stream().filter(p -> p.contains(fragment)).count();
    assertEquals(1, found, "expected one problem containing '" + fragment + "' in:\n  " + String.join("\n  ", problems));
  }
}
