package dev.wgmesh.helm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A small interpreter for the subset of CEL that the chart's admission policy uses, so that tests
 * can run the policy's expressions against admission requests (no CEL library resolves offline).
 * The parser is strict: anything outside the subset is a parse error, not silently accepted.
 *
 * <p>Subset: string/int/bool/null literals, identifiers, field selection, indexing, {@code has()},
 * {@code size()}, {@code !}, {@code ==}, {@code !=}, {@code in}, {@code +} (strings), {@code &&},
 * {@code ||} and {@code ?:}. Semantics follow CEL where it matters for a policy: a missing field
 * is an error, not null; {@code &&} and {@code ||} are commutative over errors (false && error is
 * false, true || error is true; otherwise the error propagates), so an error does not silently
 * turn into "allowed".
 */
final class MiniCel {
  private MiniCel() {}

  /** An evaluation error (CEL's error value). */
  record Err(String message) {}

  interface Node extends Function<Function<String, Object>, Object> {}

  static Node parse(String source) {
    Parser p = new Parser(tokenize(source));
    Node n = p.ternary();
    if (p.pos != p.tokens.size()) {
      throw new IllegalArgumentException("unexpected '" + p.tokens.get(p.pos) + "' in: " + source);
    }
    return n;
  }

  /** Evaluates with the given top-level identifiers (request, object, oldObject, variables). */
  static Object eval(String source, Map<String, Object> env) {
    return parse(source).apply(name -> env.containsKey(name) ? env.get(name) : new Err("undeclared " + name));
  }

  // ---- lexer

  private static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '\'' || c == '"') {
        int j = s.indexOf(c, i + 1);
        if (j < 0) {
          throw new IllegalArgumentException("unterminated string in: " + s);
        }
        out.add(s.substring(i, j + 1));
        i = j + 1;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      } else if (Character.isDigit(c)) {
        int j = i;
        while (j < s.length() && Character.isDigit(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      } else {
        String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
        if (List.of("==", "!=", "&&", "||").contains(two)) {
          out.add(two);
          i += 2;
        } else if ("!.[]()?:+,".indexOf(c) >= 0) {
          out.add(String.valueOf(c));
          i++;
        } else {
          throw new IllegalArgumentException("unsupported character '" + c + "' in: " + s);
        }
      }
    }
    return out;
  }

  // ---- parser (each node evaluates to a value or an Err)

  private static final class Parser {
    final List<String> tokens;
    int pos;

    Parser(List<String> tokens) {
      this.tokens = tokens;
    }

    String peek() {
      return pos < tokens.size() ? tokens.get(pos) : "";
    }

    boolean eat(String t) {
      if (peek().equals(t)) {
        pos++;
        return true;
      }
      return false;
    }

    void expect(String t) {
      if (!eat(t)) {
        throw new IllegalArgumentException("expected '" + t + "' at '" + peek() + "' in " + tokens);
      }
    }

    Node ternary() {
      Node cond = or();
      if (!eat("?")) {
        return cond;
      }
      Node yes = or();
      expect(":");
      Node no = ternary();
      return env -> {
        Object c = cond.apply(env);
        if (c instanceof Err) {
          return c;
        }
        if (!(c instanceof Boolean b)) {
          return new Err("condition is not a bool: " + c);
        }
        return b ? yes.apply(env) : no.apply(env);
      };
    }

    Node or() {
      Node left = and();
      while (eat("||")) {
        Node l = left;
        Node r = and();
        left = env -> logic(l.apply(env), r.apply(env), true);
      }
      return left;
    }

    Node and() {
      Node left = relation();
      while (eat("&&")) {
        Node l = left;
        Node r = relation();
        left = env -> logic(l.apply(env), r.apply(env), false);
      }
      return left;
    }

    /** CEL's commutative logic: the absorbing value wins over an error. */
    static Object logic(Object a, Object b, boolean absorbing) {
      if (Objects.equals(a, absorbing) || Objects.equals(b, absorbing)) {
        return absorbing;
      }
      if (a instanceof Err) {
        return a;
      }
      if (b instanceof Err) {
        return b;
      }
      if (!(a instanceof Boolean) || !(b instanceof Boolean)) {
        return new Err("no such overload: logic on " + a + ", " + b);
      }
      return !absorbing;
    }

    Node relation() {
      Node left = additive();
      while (true) {
        if (eat("==")) {
          Node l = left;
          Node r = additive();
          left = env -> strict(l.apply(env), r.apply(env), Objects::equals);
        } else if (eat("!=")) {
          Node l = left;
          Node r = additive();
          left = env -> strict(l.apply(env), r.apply(env), (a, b) -> !Objects.equals(a, b));
        } else if (eat("in")) {
          Node l = left;
          Node r = additive();
          left = env -> strict(l.apply(env), r.apply(env), (a, b) -> b instanceof Map<?, ?> m ? m.containsKey(a)
              : b instanceof List<?> list ? list.contains(a) : new Err("no such overload: in " + b));
        } else {
          return left;
        }
      }
    }

    Node additive() {
      Node left = unary();
      while (eat("+")) {
        Node l = left;
        Node r = unary();
        left = env -> strict(l.apply(env), r.apply(env), (a, b) -> a instanceof String x && b instanceof String y ? x + y
            : a instanceof Long x && b instanceof Long y ? (Object) (x + y) : new Err("no such overload: + on " + a + ", " + b));
      }
      return left;
    }

    static Object strict(Object a, Object b, java.util.function.BiFunction<Object, Object, Object> f) {
      if (a instanceof Err) {
        return a;
      }
      if (b instanceof Err) {
        return b;
      }
      return f.apply(a, b);
    }

    Node unary() {
      if (eat("!")) {
        Node inner = unary();
        return env -> {
          Object v = inner.apply(env);
          return v instanceof Boolean b ? (Object) !b : v instanceof Err ? v : new Err("no such overload: !" + v);
        };
      }
      return member();
    }

    Node member() {
      Node n = primary();
      while (true) {
        if (eat(".")) {
          String field = ident();
          Node target = n;
          n = env -> select(target.apply(env), field);
        } else if (eat("[")) {
          Node target = n;
          Node index = ternary();
          expect("]");
          n = env -> strict(target.apply(env), index.apply(env), MiniCel::index);
        } else {
          return n;
        }
      }
    }

    String ident() {
      String t = peek();
      if (t.isEmpty() || !(Character.isLetter(t.charAt(0)) || t.charAt(0) == '_')) {
        throw new IllegalArgumentException("expected an identifier at '" + t + "' in " + tokens);
      }
      pos++;
      return t;
    }

    Node primary() {
      String t = peek();
      if (eat("(")) {
        Node inner = ternary();
        expect(")");
        return inner;
      }
      if (t.startsWith("'") || t.startsWith("\"")) {
        pos++;
        String value = t.substring(1, t.length() - 1);
        return env -> value;
      }
      if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
        pos++;
        Long value = Long.parseLong(t);
        return env -> value;
      }
      String name = ident();
      switch (name) {
        case "true": return env -> Boolean.TRUE;
        case "false": return env -> Boolean.FALSE;
        case "null": return env -> null;
        case "has": {
          expect("(");
          Node target = selectTarget();
          expect(".");
          String field = ident();
          expect(")");
          return env -> {
            Object o = target.apply(env);
            if (o instanceof Err) {
              return o;
            }
            return o instanceof Map<?, ?> m ? (Object) m.containsKey(field) : new Err("has() on " + o);
          };
        }
        case "size": {
          expect("(");
          Node arg = ternary();
          expect(")");
          return env -> {
            Object o = arg.apply(env);
            return o instanceof Err ? o : o instanceof List<?> l ? (Object) (long) l.size() : o instanceof Map<?, ?> m
                ? (Object) (long) m.size() : o instanceof String s ? (Object) (long) s.length() : new Err("size() of " + o);
          };
        }
        default:
          if (peek().equals("(")) {
            throw new IllegalArgumentException("function " + name + "() is outside the subset");
          }
          return env -> env.apply(name);
      }
    }

    /** The operand of has(a.b.c): everything up to the last selection. */
    Node selectTarget() {
      String first = ident();
      Node n = env -> env.apply(first);
      while (peek().equals(".") && pos + 2 < tokens.size() && !tokens.get(pos + 2).equals(")")) {
        pos++;
        String field = ident();
        Node target = n;
        n = env -> select(target.apply(env), field);
      }
      return n;
    }
  }

  static Object select(Object target, String field) {
    if (target instanceof Err) {
      return target;
    }
    if (target instanceof Map<?, ?> m) {
      return m.containsKey(field) ? m.get(field) : new Err("no such key: " + field);
    }
    return new Err("cannot select " + field + " from " + target);
  }

  static Object index(Object target, Object key) {
    if (target instanceof Map<?, ?> m) {
      return m.containsKey(key) ? m.get(key) : new Err("no such key: " + key);
    }
    if (target instanceof List<?> l && key instanceof Long i) {
      return i >= 0 && i < l.size() ? l.get(i.intValue()) : new Err("index out of range: " + i);
    }
    return new Err("cannot index " + target + " with " + key);
  }
}
