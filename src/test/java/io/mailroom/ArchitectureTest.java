package io.mailroom;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

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
 * Jackson or the servlet API, and nothing from the layers above them. The features' domain
 * packages ({@code chat}, {@code counter}) know nothing of HTTP: their web adapters
 * ({@code chat.web}, {@code counter.web}) do the mapping. And no two top-level packages depend on
 * each other both ways.
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
        // io.mailroom.web holds the one valve that answers Tomcat's own refusals as problem+json
        noClasses().that().resideOutsideOfPackages("io.mailroom.websocket..", "io.mailroom.chat.web..", "io.mailroom.web..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.coyote..", "org.apache.tomcat..",
                        "org.apache.catalina..")
                .check(classes);
        noClasses().that().resideInAPackage("io.mailroom.chat")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache..", "jakarta.servlet..")
                .check(classes);
    }

    private static final String[] HTTP = {
        "io.mailroom.web..", "org.springframework.web..", "org.springframework.http..", "jakarta.servlet.."
    };

    @Test
    void no_two_top_level_packages_depend_on_each_other_even_through_others() {
        slices().matching("io.mailroom.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void the_chat_domain_knows_nothing_of_http_or_the_web_layer() {
        noClasses().that().resideInAPackage("io.mailroom.chat")
                .should().dependOnClassesThat().resideInAnyPackage(HTTP)
                .check(classes);
    }

    @Test
    void the_counter_domain_knows_nothing_of_http_or_the_web_layer() {
        noClasses().that().resideInAPackage("io.mailroom.counter")
                .should().dependOnClassesThat().resideInAnyPackage(HTTP)
                .check(classes);
    }

    @Test
    void observability_reads_nothing_from_the_wiring_in_config() {
        noClasses().that().resideInAPackage("io.mailroom.observe..")
                .should().dependOnClassesThat().resideInAPackage("io.mailroom.config..")
                .check(classes);
    }

    @Test
    void the_wiring_in_config_depends_on_no_feature() {
        noClasses().that().resideInAPackage("io.mailroom.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.mailroom.chat..", "io.mailroom.counter..",
                        "io.mailroom.observe..", "io.mailroom.web..", "io.mailroom.security..")
                .check(classes);
    }

    @Test
    void the_shared_names_depend_on_nothing_at_all() {
        noClasses().that().resideInAPackage("io.mailroom.names..")
                .should().dependOnClassesThat(resideInAPackage("io.mailroom..").and(not(resideInAPackage("io.mailroom.names.."))))
                .orShould().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .check(classes);
    }
}
