package io.mailroom;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The direction of dependencies in the design notes: {@code process} and {@code supervision} are a
 * library the rest of the app uses through a {@code Node} bean; they import nothing from Spring,
 * Jackson or the servlet API, and nothing from the layers above them.
 */
@Timeout(60)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ArchitectureTest {

    private static final String[] FRAMEWORKS = {
        "org.springframework..", "com.fasterxml..", "tools.jackson..", "jakarta.servlet.."
    };

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // The app's own compiled classes only (not the tests, nor every jar on the class path), and
        // only the names of the classes they refer to: loading those too is most of an import's time.
        ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
        classes = new ClassFileImporter().importUrl(MailroomApplication.class.getProtectionDomain().getCodeSource().getLocation());
    }

    @AfterAll
    static void restoreConfiguration() {
        ArchConfiguration.get().reset();
    }

    @Test
    void the_process_runtime_imports_nothing_from_spring_jackson_or_the_servlet_api() {
        noClasses().that().resideInAPackage("io.mailroom.process..")
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .check(classes);
    }

    @Test
    void the_process_runtime_depends_on_no_other_part_of_the_app() {
        noClasses().that().resideInAPackage("io.mailroom.process..")
                .should().dependOnClassesThat(resideInAPackage("io.mailroom..").and(not(resideInAPackage("io.mailroom.process.."))))
                .check(classes);
    }

    @Test
    void supervision_imports_nothing_from_spring_jackson_or_the_servlet_api() {
        noClasses().that().resideInAPackage("io.mailroom.supervision..")
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void supervision_depends_on_nothing_in_the_app_but_the_process_runtime() {
        noClasses().that().resideInAPackage("io.mailroom.supervision..")
                .should().dependOnClassesThat(resideInAPackage("io.mailroom..")
                        .and(not(resideInAnyPackage("io.mailroom.supervision..", "io.mailroom.process.."))))
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void the_examples_import_nothing_from_spring_jackson_or_the_servlet_api() {
        noClasses().that().resideInAPackage("io.mailroom.examples..")
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .check(classes);
    }

    @Test
    void the_examples_depend_on_nothing_in_the_app_but_the_runtime_and_supervision() {
        noClasses().that().resideInAPackage("io.mailroom.examples..")
                .should().dependOnClassesThat(resideInAPackage("io.mailroom..")
                        .and(not(resideInAnyPackage("io.mailroom.examples..", "io.mailroom.supervision..",
                                "io.mailroom.process.."))))
                .check(classes);
    }

    @Test
    void the_websocket_transport_depends_on_nothing_in_the_app_and_not_on_spring() {
        noClasses().that().resideInAPackage("io.mailroom.websocket..")
                .should().dependOnClassesThat(resideInAPackage("io.mailroom..").and(not(resideInAPackage("io.mailroom.websocket.."))))
                .orShould().dependOnClassesThat().resideInAnyPackage("org.springframework..", "tools.jackson..")
                .check(classes);
    }

    @Test
    void only_the_transport_touches_tomcat_and_the_chat_domain_touches_no_container_at_all() {
        noClasses().that().resideOutsideOfPackages("io.mailroom.websocket..", "io.mailroom.chat.web..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.coyote..", "org.apache.tomcat..",
                        "org.apache.catalina..")
                .check(classes);
        noClasses().that().resideInAPackage("io.mailroom.chat")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache..", "jakarta.servlet..")
                .check(classes);
    }
}
