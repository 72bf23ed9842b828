package dev.flowscope.registry.configindex;

import apicurio.common.app.components.config.index.DynamicPropertiesInfoRecorder;
import io.apicurio.common.apps.config.DynamicConfigPropertyDef;
import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import io.quarkus.arc.deployment.BeanDiscoveryFinishedBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.arc.processor.InjectionPointInfo;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import java.util.ArrayList;
import java.util.List;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Type;

/**
 * The registry reads its runtime-changeable settings from a DynamicConfigPropertyList bean that
 * this build step makes: one entry per injected field carrying both {@code @ConfigProperty} and
 * Apicurio's {@code @Dynamic}, whose type is {@code Supplier<T>}.
 */
public class ConfigIndexSteps {

    private static final DotName CONFIG_PROPERTY =
            DotName.createSimple("org.eclipse.microprofile.config.inject.ConfigProperty");
    private static final DotName DYNAMIC = DotName.createSimple("io.apicurio.common.apps.config.Dynamic");

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    void dynamicPropertyList(DynamicPropertiesInfoRecorder recorder, BeanDiscoveryFinishedBuildItem beans,
            BuildProducer<SyntheticBeanBuildItem> synthetic) throws ClassNotFoundException {
        List<DynamicConfigPropertyDef> defs = new ArrayList<>();
        for (InjectionPointInfo point : beans.getInjectionPoints()) {
            if (!point.isField()) {
                continue;
            }
            AnnotationInstance config = point.getRequiredQualifier(CONFIG_PROPERTY);
            AnnotationInstance dynamic = point.getTarget().asField().annotation(DYNAMIC);
            if (config != null && dynamic != null) {
                defs.add(definition(config, dynamic, point.getRequiredType()));
            }
        }
        synthetic.produce(SyntheticBeanBuildItem.configure(DynamicConfigPropertyList.class)
                .runtimeValue(recorder.initializePropertiesInfo(defs))
                .unremovable()
                .setRuntimeInit()
                .done());
    }

    private static DynamicConfigPropertyDef definition(AnnotationInstance config, AnnotationInstance dynamic,
            Type supplier) throws ClassNotFoundException {
        String name = config.value("name").asString();
        AnnotationValue fallback = config.value("defaultValue");
        if (fallback == null) {
            // A setting that can be changed at run time must also say what it is before that.
            throw new IllegalStateException("dynamic setting " + name + " has no default value");
        }
        if (supplier.kind() != Type.Kind.PARAMETERIZED_TYPE) {
            throw new IllegalStateException("dynamic setting " + name + " is not injected as Supplier<T>");
        }
        Class<?> valueType = Class.forName(supplier.asParameterizedType().arguments().get(0).name().toString());
        DynamicConfigPropertyDef def = new DynamicConfigPropertyDef(name, valueType, fallback.asString());
        AnnotationValue label = dynamic.value("label");
        AnnotationValue description = dynamic.value("description");
        AnnotationValue requires = dynamic.value("requires");
        if (label != null) {
            def.setLabel(label.asString());
        }
        if (description != null) {
            def.setDescription(description.asString());
        }
        if (requires != null) {
            def.setRequires(requires.asStringArray());
        }
        return def;
    }
}
