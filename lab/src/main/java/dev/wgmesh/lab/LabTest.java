package dev.wgmesh.lab;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs the lab: root, network namespaces, iptables and wireguard-go.
 *
 * <p>Where a prerequisite is missing the test <em>fails</em> with a message naming it; it is never
 * skipped silently. Only an explicit {@code -DskipLabTests=true} (for a developer without root)
 * disables lab tests, and then they are reported as skipped with that reason.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("lab")
@ExtendWith(LabPrerequisites.class)
public @interface LabTest {}
